"""Character cards: V1/V2/V3 JSON and PNG in, V2 JSON and PNG out, and nothing but CardError."""

from __future__ import annotations

import base64
import json
import random
import struct
import zlib
from typing import Any

import pytest

from app.card_file import read_card_file
from app.cards import (
    AVATAR_NAMESPACE,
    CardError,
    avatar_png_bytes,
    card_data,
    card_to_dict,
    card_to_json,
    parse_card,
    parse_card_json,
    placeholder_png,
    read_png_card,
    write_png_card,
)
from app.models import Character, ModelError, builtin_characters
from app.png_text import (
    PNG_SIGNATURE,
    Chunk,
    PngError,
    join_chunks,
    read_chunks,
    read_text_chunks,
    solid_png,
    with_text_chunk,
)

EXTENSIONS = {
    "depth_prompt": {"prompt": "Remember the storm.", "depth": 4},
    "talkativeness": "0.5",
    "fav": False,
    "world": "Skyreach",
    "nested": {"list": [1, 2.5, None, {"deep": ["x"]}], "unicode": "캐릭터 ✨"},
}
CHARACTER_BOOK = {"name": "Lore", "entries": [{"keys": ["storm"], "content": "Storms are loud."}]}


def v2_data(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Aria",
        "description": "{{char}} is a lighthouse keeper.",
        "personality": "patient, wry",
        "scenario": "A storm night; {{user}} knocks.",
        "first_mes": "*opens the door* Come in, {{user}}.",
        "mes_example": "<START>\n{{user}}: Hi\n{{char}}: Hello.",
        "creator_notes": "Notes for humans only.",
        "system_prompt": "{{original}} Speak softly.",
        "post_history_instructions": "Stay brief.",
        "alternate_greetings": ["*waves* Evening.", "*lights a lamp*"],
        "tags": ["calm", "sea"],
        "creator": "someone",
        "character_version": "1.2",
        "extensions": json.loads(json.dumps(EXTENSIONS)),
        "character_book": json.loads(json.dumps(CHARACTER_BOOK)),
    }
    data.update(changes)
    return data


def v2_card(**changes: Any) -> dict[str, Any]:
    return {"spec": "chara_card_v2", "spec_version": "2.0", "data": v2_data(**changes)}


def v3_card(**changes: Any) -> dict[str, Any]:
    data = v2_data(
        nickname="Ari",
        group_only_greetings=["Hello, everyone."],
        assets=[{"type": "icon", "uri": "ccdefault:", "name": "main", "ext": "png"}],
        creation_date=1700000000,
        **changes,
    )
    return {"spec": "chara_card_v3", "spec_version": "3.0", "data": data}


def text_chunk(kind: bytes, keyword: str, payload: str) -> Chunk:
    if kind == b"tEXt":
        return Chunk(kind, keyword.encode() + b"\0" + payload.encode("latin-1"))
    if kind == b"zTXt":
        return Chunk(kind, keyword.encode() + b"\0\0" + zlib.compress(payload.encode("latin-1")))
    return Chunk(kind, keyword.encode() + b"\0\0\0\0\0" + payload.encode("utf-8"))  # iTXt


def png_with(*extra: Chunk, base: bytes | None = None) -> bytes:
    chunks = read_chunks(base or solid_png(4, 3, (10, 20, 30)))
    return join_chunks([*chunks[:-1], *extra, chunks[-1]])


def b64(card: object) -> str:
    return base64.b64encode(json.dumps(card).encode("utf-8")).decode("ascii")


# --- reading JSON -----------------------------------------------------------------------------


def test_v2_json_fills_every_field() -> None:
    character = parse_card_json(json.dumps(v2_card()), now="2025-02-03T04:05:06.000Z")
    assert character.name == "Aria"
    assert character.description == "{{char}} is a lighthouse keeper."  # macros kept raw
    assert character.personality == "patient, wry"
    assert character.scenario == "A storm night; {{user}} knocks."
    assert character.first_mes == "*opens the door* Come in, {{user}}."
    assert character.mes_example.startswith("<START>")
    assert character.creator_notes == "Notes for humans only."
    assert character.system_prompt == "{{original}} Speak softly."
    assert character.post_history_instructions == "Stay brief."
    assert character.alternate_greetings == ["*waves* Evening.", "*lights a lamp*"]
    assert character.tags == ["calm", "sea"]
    assert character.creator == "someone"
    assert character.character_version == "1.2"
    assert character.extensions == EXTENSIONS
    assert character.card_extra == {"character_book": CHARACTER_BOOK}
    assert character.avatar == ""
    assert not character.builtin
    assert character.created_at == character.updated_at == "2025-02-03T04:05:06.000Z"
    assert len(character.id) == 36


def test_each_import_gets_a_new_id() -> None:
    text = json.dumps(v2_card())
    assert parse_card_json(text).id != parse_card_json(text).id


def test_json_bytes_with_a_bom_are_read() -> None:
    raw = b"\xef\xbb\xbf" + json.dumps(v2_card(name="Bömi")).encode("utf-8")
    assert parse_card_json(raw).name == "Bömi"
    assert parse_card_json(raw.decode("utf-8")).name == "Bömi"


def test_v3_json_reads_the_v2_fields_and_keeps_the_rest() -> None:
    character = parse_card_json(json.dumps(v3_card()))
    assert character.name == "Aria"
    assert character.alternate_greetings == ["*waves* Evening.", "*lights a lamp*"]
    assert character.extensions == EXTENSIONS
    assert character.card_extra["nickname"] == "Ari"
    assert character.card_extra["group_only_greetings"] == ["Hello, everyone."]
    assert character.card_extra["creation_date"] == 1700000000
    assert character.card_extra["character_book"] == CHARACTER_BOOK


def test_v1_flat_card() -> None:
    card = {
        "name": "Old Tom",
        "description": "A fisherman.",
        "personality": "grumpy",
        "scenario": "At the pier.",
        "first_mes": "Eh?",
        "mes_example": "{{user}}: Hi\n{{char}}: Hmph.",
        "metadata": {"ignored": True},
    }
    character = parse_card_json(json.dumps(card))
    assert (character.name, character.description, character.personality) == (
        "Old Tom",
        "A fisherman.",
        "grumpy",
    )
    assert (character.scenario, character.first_mes) == ("At the pier.", "Eh?")
    assert character.mes_example == "{{user}}: Hi\n{{char}}: Hmph."
    assert character.card_extra == {}
    assert character.extensions == {}


def test_v1_legacy_field_names() -> None:
    card = {
        "char_name": "Pyg",
        "char_persona": "shy",
        "world_scenario": "a library",
        "char_greeting": "Oh! Hello.",
        "example_dialogue": "<START>\nYou: hi",
    }
    character = parse_card_json(json.dumps(card))
    assert (character.name, character.personality, character.scenario) == (
        "Pyg",
        "shy",
        "a library",
    )
    assert (character.first_mes, character.mes_example) == ("Oh! Hello.", "<START>\nYou: hi")


def test_v2_without_its_spec_line() -> None:
    assert parse_card_json(json.dumps({"data": v2_data(name="Nospec")})).name == "Nospec"


def test_nulls_and_numbers_are_tolerated_where_harmless() -> None:
    character = parse_card(
        v2_card(description=None, tags=None, extensions=None, character_version=3)
    )
    assert character.description == ""
    assert character.tags == []
    assert character.extensions == {}
    assert character.character_version == "3"


def test_avatar_in_our_extension_is_taken_out() -> None:
    avatar = "data:image/png;base64," + base64.b64encode(solid_png(1, 1, (1, 2, 3))).decode()
    extensions = {**EXTENSIONS, AVATAR_NAMESPACE: {"avatar": avatar}}
    character = parse_card(v2_card(extensions=extensions))
    assert character.avatar == avatar
    assert character.extensions == EXTENSIONS


@pytest.mark.parametrize(
    "avatar",
    [
        pytest.param("javascript:alert(1)", id="javascript"),
        pytest.param("https://tracker.example/a.png", id="remote-url"),
        pytest.param("data:image/svg+xml;base64,PHN2Zz4=", id="svg"),
        pytest.param("data:text/html;base64,PHNjcmlwdD4=", id="html"),
        pytest.param('data:image/png;base64,AAAA" onerror="x', id="quote"),
        pytest.param(42, id="number"),
    ],
)
def test_unsafe_avatars_are_dropped(avatar: object) -> None:
    character = parse_card(v2_card(extensions={AVATAR_NAMESPACE: {"avatar": avatar, "k": 1}}))
    assert character.avatar == ""
    assert character.extensions == {AVATAR_NAMESPACE: {"k": 1}}


MALFORMED_JSON = [
    pytest.param("", "empty", id="empty"),
    pytest.param("   \n", "empty", id="blank"),
    pytest.param("not json at all", "not valid JSON", id="not-json"),
    pytest.param("{'name': 'single quotes'}", "not valid JSON", id="python-dict"),
    pytest.param('{"spec": "chara_card_v2", "data": {"name": "x"', "not valid JSON", id="cut-off"),
    pytest.param("[1, 2, 3]", "JSON list", id="json-array"),
    pytest.param('"Aria"', "JSON str", id="json-string"),
    pytest.param("42", "JSON int", id="json-number"),
    pytest.param("null", "JSON NoneType", id="json-null"),
    pytest.param("{}", "missing name", id="empty-object"),
    pytest.param(json.dumps({"description": "no name"}), "missing name", id="v1-no-name"),
    pytest.param(json.dumps(v2_card(name="   ")), "missing data.name", id="blank-name"),
    pytest.param(json.dumps({"spec": "chara_card_v2"}), "missing data", id="no-data"),
    pytest.param(json.dumps({"spec": "chara_card_v2", "data": []}), "missing data", id="data-list"),
    pytest.param(json.dumps({"spec": "chara_card_v9", "data": {}}), "unsupported", id="bad-spec"),
    pytest.param(json.dumps(v2_card(name=["Aria"])), "data.name must be text", id="name-list"),
    pytest.param(json.dumps(v2_card(name=7)), "data.name must be text", id="name-number"),
    pytest.param(
        json.dumps(v2_card(description=5)), "data.description must be text", id="desc-num"
    ),
    pytest.param(
        json.dumps(v2_card(first_mes={"a": 1})), "data.first_mes must be text", id="mes-obj"
    ),
    pytest.param(
        json.dumps(v2_card(alternate_greetings="hi")),
        "alternate_greetings must be a list",
        id="greetings-string",
    ),
    pytest.param(
        json.dumps(v2_card(alternate_greetings=["ok", 3])),
        "alternate_greetings must be a list",
        id="greetings-number-item",
    ),
    pytest.param(json.dumps(v2_card(tags="a,b")), "tags must be a list", id="tags-string"),
    pytest.param(
        json.dumps(v2_card(extensions=[1])), "extensions must be an object", id="ext-list"
    ),
    pytest.param(json.dumps(v2_card(creator=True)), "data.creator must be text", id="creator-bool"),
    pytest.param(json.dumps(v2_card(description="x" * (1024 * 1024 + 1))), "over 1 MiB", id="huge"),
    pytest.param(
        json.dumps(v2_card(alternate_greetings=["y" * (1024 * 1024 + 1)])),
        "over 1 MiB",
        id="huge-greeting",
    ),
    pytest.param(
        json.dumps(v2_card(extensions={"x": json.loads("[" * 100 + "]" * 100)})),
        "nested",
        id="deep-extensions",
    ),
    pytest.param("[" * 100000 + "]" * 100000, "nested more than 64", id="very-deep-json"),
    pytest.param("{" * 100000, "nested more than 64", id="very-deep-unclosed"),
    pytest.param('{"a":' * 900 + "1" + "}" * 900, "nested more than 64", id="deep-json"),
    pytest.param(b"\xff\xfe\x00bad", "not UTF-8", id="not-utf8"),
    pytest.param(b"\x89PNG\r\n\x1a\n", "not UTF-8", id="png-given-as-json"),
]


@pytest.mark.parametrize(("source", "message"), MALFORMED_JSON)
def test_malformed_json_is_a_card_error(source: str | bytes, message: str) -> None:
    with pytest.raises(CardError, match=message) as info:
        parse_card_json(source)
    assert type(info.value) is CardError
    assert str(info.value)[0].isupper()


def test_brackets_inside_strings_are_not_nesting() -> None:
    """The depth pre-check (Pyodide cannot survive deep recursion) skips string contents."""
    text = "[" * 60 + '"]]]]\\\\", "\\"[[[[' + "[" * 200 + '"' + "]" * 60
    card = v2_card(description="[{" * 500 + '\\"' + "{" * 100, mes_example='\\"[[[\\\\')
    card["data"]["extensions"] = {"list": json.loads(text)}
    character = parse_card_json(json.dumps(card))
    assert character.description.startswith("[{[{")
    assert len(character.extensions["list"]) == 1


def test_too_much_json_is_refused_before_parsing() -> None:
    with pytest.raises(CardError, match="too large"):
        parse_card_json(" " * (16 * 1024 * 1024 + 1))


def test_missing_name_message_is_clear() -> None:
    with pytest.raises(CardError) as info:
        parse_card_json(json.dumps({"spec": "chara_card_v2", "data": {"description": "x"}}))
    assert str(info.value) == "This file is not a character card: missing data.name"


# --- reading PNG ------------------------------------------------------------------------------


def test_v2_png_card_and_its_avatar() -> None:
    picture = solid_png(4, 3, (10, 20, 30))
    png = png_with(text_chunk(b"tEXt", "chara", b64(v2_card())), base=picture)
    character = read_png_card(png)
    assert character.name == "Aria"
    assert character.extensions == EXTENSIONS
    assert character.avatar.startswith("data:image/png;base64,")
    # The avatar is the picture without the card chunk.
    assert avatar_png_bytes(character) == picture


def test_ccv3_is_preferred_over_chara() -> None:
    png = png_with(
        text_chunk(b"tEXt", "chara", b64(v2_card(name="From V2"))),
        text_chunk(b"tEXt", "ccv3", b64(v3_card(name="From V3"))),
    )
    character = read_png_card(png)
    assert character.name == "From V3"
    assert character.card_extra["nickname"] == "Ari"
    assert read_text_chunks(read_chunks(avatar_png_bytes(character) or b"")) == {}


def test_a_broken_ccv3_falls_back_to_chara() -> None:
    png = png_with(
        text_chunk(b"tEXt", "ccv3", "!!!not base64!!!"),
        text_chunk(b"tEXt", "chara", b64(v2_card(name="Fallback"))),
    )
    assert read_png_card(png).name == "Fallback"


@pytest.mark.parametrize("kind", [b"tEXt", b"zTXt", b"iTXt"])
def test_text_chunk_variants(kind: bytes) -> None:
    png = png_with(Chunk(b"tEXt", b"Comment\0hello"), text_chunk(kind, "chara", b64(v2_card())))
    assert read_png_card(png).name == "Aria"


def test_compressed_itxt_and_uppercase_keyword() -> None:
    payload = zlib.compress(b64(v2_card(name="Zed")).encode())
    chunk = Chunk(b"iTXt", b"Chara\0\x01\x00en\0\0" + payload)
    assert read_png_card(png_with(chunk)).name == "Zed"


def test_base64_with_newlines_and_missing_padding() -> None:
    encoded = b64(v2_card(name="Wrapped")).rstrip("=")
    wrapped = "\n".join(encoded[i : i + 76] for i in range(0, len(encoded), 76))
    assert read_png_card(png_with(text_chunk(b"tEXt", "chara", wrapped))).name == "Wrapped"


def test_raw_json_in_the_chunk_is_accepted() -> None:
    payload = json.dumps(v2_card(name="Raw"), ensure_ascii=True)
    assert read_png_card(png_with(text_chunk(b"tEXt", "chara", payload))).name == "Raw"


def test_read_card_file_sniffs_the_format() -> None:
    png = png_with(text_chunk(b"tEXt", "chara", b64(v2_card(name="P"))))
    assert read_card_file(png).name == "P"
    assert read_card_file(json.dumps(v2_card(name="J")).encode()).name == "J"


def _damaged_pngs() -> list[Any]:
    good = png_with(text_chunk(b"tEXt", "chara", b64(v2_card())))
    bomb = Chunk(b"zTXt", b"chara\0\0" + zlib.compress(b"A" * (40 * 1024 * 1024)))
    no_ihdr = PNG_SIGNATURE + good[len(PNG_SIGNATURE) + 25 :]
    bad_length = bytearray(good)
    struct.pack_into(">I", bad_length, 8, 0x7FFFFFF0)
    return [
        pytest.param(b"", "signature", id="empty"),
        pytest.param(b"\xff\xd8\xff\xe0JFIF", "signature", id="jpeg"),
        pytest.param(b"GIF89a", "signature", id="gif"),
        pytest.param(PNG_SIGNATURE[:5], "signature", id="half-signature"),
        pytest.param(PNG_SIGNATURE, "truncated", id="signature-only"),
        pytest.param(good[:40], "truncated", id="cut-mid-chunk"),
        pytest.param(good[:-12], "truncated", id="no-iend"),
        pytest.param(good[:-3], "truncated", id="cut-iend-crc"),
        pytest.param(bytes(bad_length), "truncated", id="huge-length"),
        pytest.param(no_ihdr, "IHDR", id="no-ihdr"),
        pytest.param(solid_png(2, 2, (0, 0, 0)), "no character data", id="no-chara"),
        pytest.param(
            png_with(Chunk(b"tEXt", b"Comment\0chara")), "no character data", id="other-text-only"
        ),
        pytest.param(png_with(text_chunk(b"tEXt", "chara", "@@@@")), "base64", id="bad-base64"),
        pytest.param(
            png_with(text_chunk(b"tEXt", "chara", "YWJj$")), "base64", id="base64-bad-char"
        ),
        pytest.param(
            png_with(text_chunk(b"tEXt", "chara", base64.b64encode(b"not json").decode())),
            "not valid JSON",
            id="base64-not-json",
        ),
        pytest.param(
            png_with(text_chunk(b"tEXt", "chara", base64.b64encode(b"\xff\xfe").decode())),
            "not UTF-8",
            id="base64-not-utf8",
        ),
        pytest.param(
            png_with(text_chunk(b"tEXt", "chara", b64({"spec": "chara_card_v2", "data": {}}))),
            "missing data.name",
            id="card-without-name",
        ),
        pytest.param(png_with(Chunk(b"zTXt", b"chara\0\0not zlib")), "compressed", id="bad-zlib"),
        pytest.param(png_with(bomb), "too large", id="decompression-bomb"),
    ]


@pytest.mark.parametrize(("png", "message"), _damaged_pngs())
def test_damaged_png_is_a_card_error(png: bytes, message: str) -> None:
    with pytest.raises(CardError, match=message) as info:
        read_png_card(png)
    assert type(info.value) is CardError


def test_check_crc_when_asked() -> None:
    png = bytearray(solid_png(2, 2, (1, 1, 1)))
    png[-20] ^= 0xFF  # inside IDAT
    read_chunks(bytes(png))  # lengths are fine
    with pytest.raises(PngError, match="checksum"):
        read_chunks(bytes(png), check_crc=True)


# --- fuzzing ----------------------------------------------------------------------------------


def _outcome(call: Any, data: Any) -> None:
    try:
        result = call(data)
    except CardError:
        return
    assert isinstance(result, Character)


def test_random_bytes_only_ever_raise_card_error() -> None:
    rng = random.Random(1234)
    for _ in range(400):
        blob = rng.randbytes(rng.randint(0, 300))
        _outcome(parse_card_json, blob)
        _outcome(read_png_card, blob)
        _outcome(read_png_card, PNG_SIGNATURE + blob)
        _outcome(read_card_file, blob)


def test_mutated_png_cards_only_ever_raise_card_error() -> None:
    rng = random.Random(99)
    good = png_with(
        text_chunk(b"tEXt", "chara", b64(v2_card())), text_chunk(b"zTXt", "ccv3", b64(v3_card()))
    )
    for _ in range(400):
        damaged = bytearray(good)
        for _ in range(rng.randint(1, 6)):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        cut = rng.choice([len(damaged), rng.randrange(len(damaged) + 1)])
        _outcome(read_png_card, bytes(damaged[:cut]))


def _random_value(rng: random.Random, depth: int = 0) -> Any:
    choice = rng.randrange(8 if depth < 3 else 5)
    if choice == 0:
        return None
    if choice == 1:
        return rng.choice([True, False])
    if choice == 2:
        return rng.randint(-(10**6), 10**6)
    if choice == 3:
        return rng.random()
    if choice == 4:
        return "".join(rng.choice("ab{}<>\"'\\\n 한") for _ in range(rng.randint(0, 8)))
    if choice in (5, 6):
        return [_random_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return {str(i): _random_value(rng, depth + 1) for i in range(rng.randint(0, 3))}


def test_random_field_types_only_ever_raise_card_error() -> None:
    rng = random.Random(7)
    keys = [*list(v2_data()), "spec", "data", "char_name"]
    for _ in range(500):
        data = v2_data()
        for key in rng.sample(keys, rng.randint(1, 4)):
            data[key] = _random_value(rng)
        for card in (
            {"spec": "chara_card_v2", "spec_version": "2.0", "data": data},
            {"spec": "chara_card_v3", "data": data},
            data,
        ):
            _outcome(parse_card_json, json.dumps(card))


# --- writing ----------------------------------------------------------------------------------


def test_card_to_dict_lists_every_v2_field() -> None:
    card = card_to_dict(Character(id="x", name="Bare"))
    assert card["spec"] == "chara_card_v2"
    assert card["spec_version"] == "2.0"
    # the Character Card V2 spec's ``data`` fields, in its order
    assert (
        list(card["data"])
        == (
            "name description personality scenario first_mes mes_example creator_notes "
            "system_prompt post_history_instructions alternate_greetings tags creator "
            "character_version extensions"
        ).split()
    )


def test_json_export_then_import_is_identical() -> None:
    original = parse_card_json(json.dumps(v3_card()))
    exported = card_to_json(original)
    again = parse_card_json(exported)
    assert card_data(again) == card_data(original)
    assert again.extensions == EXTENSIONS
    assert json.loads(exported)["data"]["extensions"] == EXTENSIONS  # no avatar, nothing added
    assert json.loads(exported)["data"]["character_book"] == CHARACTER_BOOK
    assert card_to_json(again) == exported


def test_json_export_carries_the_avatar_in_our_extension() -> None:
    avatar = "data:image/png;base64," + base64.b64encode(solid_png(2, 2, (9, 9, 9))).decode()
    original = Character(id="x", name="Pic", avatar=avatar, extensions={"other": {"a": 1}})
    exported = json.loads(card_to_json(original))
    assert exported["data"]["extensions"] == {
        "other": {"a": 1},
        AVATAR_NAMESPACE: {"avatar": avatar},
    }
    again = parse_card_json(json.dumps(exported))
    assert again.avatar == avatar
    assert again.extensions == {"other": {"a": 1}}
    assert "avatar" not in card_to_json(original, include_avatar=False)


def test_png_export_then_import_is_identical() -> None:
    original = parse_card_json(json.dumps(v3_card(name="환영 Ærø ✨")))
    png = write_png_card(original)
    assert png.startswith(PNG_SIGNATURE)
    again = read_png_card(png)
    assert card_data(again) == card_data(original)
    assert write_png_card(again) == png  # the avatar is the same picture, card chunk removed


def test_png_export_into_a_given_picture_replaces_old_card_chunks() -> None:
    picture = png_with(
        text_chunk(b"tEXt", "chara", b64(v2_card(name="Old"))),
        text_chunk(b"zTXt", "ccv3", b64(v3_card(name="Old3"))),
        Chunk(b"tEXt", b"Comment\0keep me"),
    )
    new = Character(id="x", name="New", description="fresh")
    png = write_png_card(new, picture)
    chunks = read_chunks(png, check_crc=True)
    texts = read_text_chunks(chunks)
    assert set(texts) == {"Comment", "chara", "ccv3"}
    assert chunks[-2].type == chunks[-3].type == b"tEXt"
    assert chunks[-1] == Chunk(b"IEND", b"")
    again = read_png_card(png)
    assert (again.name, again.description) == ("New", "fresh")
    assert read_text_chunks(read_chunks(avatar_png_bytes(again) or b"")) == {"Comment": "keep me"}


def test_png_export_uses_the_png_avatar_else_a_placeholder() -> None:
    picture = solid_png(5, 5, (200, 100, 50))
    avatar = "data:image/png;base64," + base64.b64encode(picture).decode()
    with_avatar = read_png_card(write_png_card(Character(id="x", name="A", avatar=avatar)))
    assert avatar_png_bytes(with_avatar) == picture

    jpeg = Character(id="y", name="B", avatar="data:image/jpeg;base64,/9j/4AAQ")
    assert avatar_png_bytes(jpeg) is None
    placeholder = read_png_card(write_png_card(jpeg))
    assert avatar_png_bytes(placeholder) == placeholder_png("B")


def test_placeholder_is_a_valid_64px_png_coloured_by_name() -> None:
    png = placeholder_png("Aria")
    ihdr = read_chunks(png, check_crc=True)[0]
    assert struct.unpack(">II", ihdr.data[:8]) == (64, 64)
    assert placeholder_png("Aria") == png != placeholder_png("Bram")


def test_writing_into_a_non_png_is_a_card_error() -> None:
    with pytest.raises(CardError, match="signature"):
        write_png_card(Character(id="x", name="A"), b"GIF89a")


def test_builtin_characters_round_trip_through_both_formats() -> None:
    characters = builtin_characters()
    assert len(characters) >= 3
    assert any(character.alternate_greetings for character in characters)
    for character in characters:
        assert character.builtin
        assert character.first_mes
        assert character.mes_example
        assert character.personality
        assert character.scenario
        assert card_data(parse_card_json(card_to_json(character))) == card_data(character)
        assert card_data(read_png_card(write_png_card(character))) == card_data(character)
    assert [c.id for c in characters] == [c.id for c in builtin_characters()]  # stable ids
    assert len({c.id for c in characters}) == len(characters)


# --- the Character record ---------------------------------------------------------------------


def test_character_dict_round_trip() -> None:
    character = parse_card_json(json.dumps(v3_card()))
    stored = json.loads(json.dumps(character.to_dict()))
    assert Character.from_dict(stored) == character


def test_character_from_older_record_uses_defaults() -> None:
    character = Character.from_dict({"id": "abc", "name": "Min"})
    assert character.tags == []
    assert character.extensions == {}
    assert character.builtin is False


@pytest.mark.parametrize(
    "record",
    [
        pytest.param({"id": "a", "name": 3}, id="name-number"),
        pytest.param({"id": "a", "name": "x", "tags": "t"}, id="tags-string"),
        pytest.param({"id": "a", "name": "x", "builtin": "yes"}, id="builtin-string"),
        pytest.param({"id": "a", "name": "x", "extensions": []}, id="extensions-list"),
        pytest.param([], id="not-a-dict"),
    ],
)
def test_character_from_bad_record(record: Any) -> None:
    with pytest.raises(ModelError):
        Character.from_dict(record)


def test_greetings_are_first_mes_then_alternates() -> None:
    character = Character(id="x", name="A", first_mes="Hi", alternate_greetings=["Yo", " ", "Hey"])
    assert character.greetings == ["Hi", "Yo", "Hey"]
    assert Character(id="x", name="A", alternate_greetings=["Yo"]).greetings == ["Yo"]


def test_with_text_chunk_wants_latin1() -> None:
    chunks = read_chunks(solid_png(1, 1, (0, 0, 0)))
    with pytest.raises(ValueError, match="Latin-1"):
        with_text_chunk(chunks, "chara", "한국어")
    with pytest.raises(ValueError, match="keyword"):
        with_text_chunk(chunks, "", "x")
