"""Lenient card import (each odd field kept or dropped, and noted), PNG cards carrying V2 and V3,
file sniffing, and finding a card that is already stored."""

from __future__ import annotations

import base64
import io
import json
import zipfile
import zlib
from dataclasses import FrozenInstanceError, replace
from typing import Any, get_args

import pytest

from app.card_file import import_card_file, read_card_file
from app.cards import (
    AVATAR_NAMESPACE,
    CardError,
    CardImport,
    CardNote,
    NoteKind,
    avatar_png_bytes,
    card_data,
    card_to_v3_dict,
    find_duplicate,
    import_card,
    import_card_json,
    import_png_card,
    parse_card,
    read_png_card,
    write_png_card,
)
from app.models import Character, builtin_characters
from app.png_text import Chunk, join_chunks, read_chunks, solid_png
from tests.unit.test_cards import (
    CHARACTER_BOOK,
    EXTENSIONS,
    b64,
    png_with,
    text_chunk,
    v2_card,
    v2_data,
    v3_card,
)

MIB = 1024 * 1024
PNG_AVATAR = "data:image/png;base64," + base64.b64encode(solid_png(2, 2, (5, 6, 7))).decode()


def v3_with(**changes: Any) -> dict[str, Any]:
    """A V3 card with some of its ``data`` fields replaced."""
    card = v3_card()
    card["data"].update(changes)
    return card


def notes_of(found: CardImport) -> list[tuple[str, str]]:
    return [(note.field, note.what) for note in found.notes]


# --- lenient fields ---------------------------------------------------------------------------

LENIENT_CASES = [
    pytest.param(
        {"tags": "calm, sea ,, storm"},
        "tags",
        ["calm", "sea", "storm"],
        [("data.tags", "text_as_list")],
        id="tags-as-text",
    ),
    pytest.param(
        {"alternate_greetings": ["Hi.", None, "Yo."]},
        "alternate_greetings",
        ["Hi.", "Yo."],
        [("data.alternate_greetings", "items_dropped")],
        id="null-in-greetings",
    ),
    pytest.param(
        {"alternate_greetings": "Only one."},
        "alternate_greetings",
        ["Only one."],
        [("data.alternate_greetings", "text_as_list")],
        id="greetings-as-text",
    ),
    pytest.param(
        {"system_prompt": 5},
        "system_prompt",
        "5",
        [("data.system_prompt", "number_as_text")],
        id="numeric-system-prompt",
    ),
    pytest.param(
        {"description": {"text": "x"}},
        "description",
        "",
        [("data.description", "dropped_not_text")],
        id="description-object",
    ),
    pytest.param(
        {"creator": True},
        "creator",
        "",
        [("data.creator", "dropped_not_text")],
        id="creator-bool",
    ),
    pytest.param(
        {"mes_example": ["<START>", "{{char}}: Hi."]},
        "mes_example",
        "<START>\n{{char}}: Hi.",
        [("data.mes_example", "list_as_text")],
        id="example-as-lines",
    ),
    pytest.param(
        {"tags": {"a": 1}},
        "tags",
        [],
        [("data.tags", "dropped_not_list")],
        id="tags-object",
    ),
    pytest.param(
        {"tags": ["a", 2, ["b"], 1.5]},
        "tags",
        ["a", "2", "1.5"],
        [("data.tags", "items_as_text"), ("data.tags", "items_dropped")],
        id="tags-mixed",
    ),
    pytest.param(
        {"description": "x" * (MIB + 1)},
        "description",
        "",
        [("data.description", "dropped_too_large")],
        id="huge-description",
    ),
    pytest.param(
        {"alternate_greetings": ["ok", "y" * (MIB + 1)]},
        "alternate_greetings",
        ["ok"],
        [("data.alternate_greetings", "items_too_large")],
        id="huge-greeting",
    ),
    pytest.param(
        {"extensions": [1, 2]},
        "extensions",
        {},
        [("data.extensions", "dropped_not_object")],
        id="extensions-list",
    ),
    pytest.param(
        {"name": 7},
        "name",
        "7",
        [("data.name", "number_as_text")],
        id="numeric-name",
    ),
]


@pytest.mark.parametrize(("changes", "key", "expected", "notes"), LENIENT_CASES)
def test_an_odd_field_is_kept_or_dropped_and_noted(
    changes: dict[str, Any], key: str, expected: Any, notes: list[tuple[str, str]]
) -> None:
    found = import_card_json(json.dumps(v2_card(**changes)))
    assert getattr(found.character, key) == expected
    assert notes_of(found) == notes
    # The rest of the card is there.
    untouched = {k: v for k, v in v2_data().items() if k not in changes and k != "character_book"}
    for field, value in untouched.items():
        assert getattr(found.character, field) == value
    assert found.character.card_extra == {"character_book": CHARACTER_BOOK}


@pytest.mark.parametrize(("changes", "key", "expected", "notes"), LENIENT_CASES)
def test_the_strict_parser_still_refuses_the_same_cards(
    changes: dict[str, Any], key: str, expected: Any, notes: list[tuple[str, str]]
) -> None:
    with pytest.raises(CardError, match=f"data\\.{key}"):
        parse_card(v2_card(**changes))


@pytest.mark.parametrize(
    ("spec", "version"),
    [
        pytest.param("chara_card_v2 ", "2.0", id="trailing-space"),
        pytest.param(" Chara_Card_V3", "3.0", id="case-and-space"),
        pytest.param("CHARA_CARD_V2\n", "2.0", id="upper-newline"),
    ],
)
def test_a_known_spec_written_oddly_is_read(spec: str, version: str) -> None:
    card = {**v2_card(), "spec": spec, "spec_version": version}
    found = import_card(card)
    assert found.character.name == "Aria"
    assert found.character.card_extra == {"character_book": CHARACTER_BOOK}
    assert notes_of(found) == [("spec", "spec_corrected")]
    with pytest.raises(CardError, match="unsupported card format"):
        parse_card(card)


def test_an_empty_spec_reads_as_no_spec() -> None:
    found = import_card({**v2_card(name="Blank"), "spec": "  "})
    assert found.character.name == "Blank"
    assert notes_of(found) == [("spec", "spec_corrected")]


def test_a_newer_v3_version_is_read_and_noted() -> None:
    found = import_card({**v3_card(), "spec_version": "3.5"})
    assert found.character.card_extra["nickname"] == "Ari"
    assert notes_of(found) == [("spec_version", "newer_version")]
    assert import_card({**v3_card(), "spec_version": "3.0"}).notes == ()
    assert import_card({**v3_card(), "spec_version": "three"}).notes == ()


def test_many_odd_fields_in_one_card_give_one_note_each_in_order() -> None:
    card = v2_card(tags="a", system_prompt=1.5, alternate_greetings=[None, None, "x"])
    card["spec"] = "chara_card_v2 "
    found = import_card(card)
    assert notes_of(found) == [
        ("spec", "spec_corrected"),
        ("data.system_prompt", "number_as_text"),
        ("data.alternate_greetings", "items_dropped"),
        ("data.tags", "text_as_list"),
    ]
    assert (found.character.system_prompt, found.character.tags) == ("1.5", ["a"])


def test_a_clean_card_has_no_notes() -> None:
    for card in (v2_card(), v3_card(), {"name": "Flat", "description": "V1"}):
        assert import_card(card).notes == ()
    assert import_card(v2_card(character_version=2, description=None)).notes == ()


def test_an_unsafe_saved_avatar_is_dropped_with_a_note() -> None:
    card = v2_card(extensions={AVATAR_NAMESPACE: {"avatar": "https://tracker.example/a.png"}})
    found = import_card(card)
    assert found.character.avatar == ""
    assert notes_of(found) == [(f"data.extensions.{AVATAR_NAMESPACE}.avatar", "dropped_unsafe")]
    assert parse_card(card).avatar == ""  # strict reading always dropped it quietly


def test_v3_group_only_greetings_are_cleaned_and_noted() -> None:
    found = import_card(v3_with(group_only_greetings=[None, "Hi all.", 3]))
    assert found.character.card_extra["group_only_greetings"] == ["Hi all.", "3"]
    assert notes_of(found) == [
        ("data.group_only_greetings", "items_dropped"),
        ("data.group_only_greetings", "items_as_text"),
    ]
    # Strict parsing never refused a V3-only field; it cleans it the same way.
    assert parse_card(v3_with(group_only_greetings="Hi all.")).card_extra[
        "group_only_greetings"
    ] == ["Hi all."]
    assert (
        "group_only_greetings"
        not in import_card(v3_with(group_only_greetings=[])).character.card_extra
    )


def test_v3_assets_keep_what_can_travel_and_note_the_rest() -> None:
    background = {
        "type": "background",
        "uri": "https://example.org/bg.png",
        "name": "main",
        "ext": "png",
    }
    assets = [
        {"type": "icon", "uri": "ccdefault:", "name": "main", "ext": "png"},
        {"type": "emotion", "uri": "embeded://assets/emotion/images/happy.png", "name": "happy"},
        {"type": "x_risu", "uri": "__asset:3", "name": "old"},
        background,
        "not an asset",
        {"type": "icon"},
    ]
    found = import_card(v3_with(assets=assets))
    assert found.character.card_extra["assets"] == [background]
    assert found.character.avatar == ""
    assert notes_of(found) == [
        ("data.assets", "items_dropped"),
        ("data.assets", "assets_not_imported"),
    ]
    dropped = import_card(v3_with(assets={"icon": "x"}))
    assert "assets" not in dropped.character.card_extra
    assert notes_of(dropped) == [("data.assets", "dropped_not_list")]


def test_a_data_url_main_icon_is_the_avatar_of_a_json_card() -> None:
    icon = {"type": "icon", "uri": PNG_AVATAR, "name": "main", "ext": "png"}
    found = import_card(v3_with(assets=[icon]))
    assert found.character.avatar == PNG_AVATAR
    assert "assets" not in found.character.card_extra
    assert found.notes == ()
    remote = {"type": "icon", "uri": "https://example.org/me.png", "name": "main", "ext": "png"}
    found = import_card(v3_with(assets=[remote]))
    assert found.character.avatar == ""  # never loaded from elsewhere
    assert notes_of(found) == [("data.assets", "assets_not_imported")]


UNUSABLE = [
    pytest.param(b"not json", "not valid JSON", id="not-json"),
    pytest.param(b"[1, 2]", "JSON list", id="list"),
    pytest.param(b"", "empty", id="empty"),
    pytest.param(json.dumps({"description": "no name"}).encode(), "missing name", id="v1-no-name"),
    pytest.param(json.dumps(v2_card(name="  ")).encode(), "missing data.name", id="blank-name"),
    pytest.param(json.dumps(v2_card(name=None)).encode(), "missing data.name", id="null-name"),
    pytest.param(
        json.dumps(v2_card(name=["A"])).encode(), "data.name must be text", id="name-list"
    ),
    pytest.param(
        json.dumps({"spec": "chara_card_v9", "data": v2_data()}).encode(),
        "unsupported card format",
        id="unknown-spec",
    ),
    pytest.param(
        json.dumps({"spec": 2, "data": v2_data()}).encode(), "unsupported", id="spec-number"
    ),
    pytest.param(
        json.dumps({"spec": "chara_card_v2", "data": "x"}).encode(), "missing data", id="data-text"
    ),
    pytest.param(("[" * 100 + "]" * 100).encode(), "nested more than 64", id="deep"),
    pytest.param(b" " * (16 * MIB + 1), "too large", id="too-big"),
    pytest.param(b"\xff\xfe\x00bad", "not UTF-8", id="not-utf8"),
]


@pytest.mark.parametrize(("content", "message"), UNUSABLE)
def test_what_is_no_card_is_still_refused(content: bytes, message: str) -> None:
    with pytest.raises(CardError, match=message) as info:
        import_card_file(content)
    assert type(info.value) is CardError
    assert str(info.value)[0].isupper()


def test_every_note_kind_has_a_sentence_in_both_languages() -> None:
    from app.cards import note_key
    from app.i18n import CATALOGUE

    note = CardNote("data.alternate_greetings", "items_dropped")
    assert note.text == "Unreadable entries of 'alternate_greetings' were left out."
    assert CardNote("spec", "spec_corrected").text.startswith("The card's format name")
    for kind in get_args(NoteKind):
        texts = CATALOGUE[note_key(kind)]
        for lang in ("en", "ko"):
            text = CardNote("data.tags", kind).say(lang)
            assert text.endswith((".", "요."))
            assert "{" not in text
            assert ("'tags'" in text) == ("{label}" in texts[lang])
    with pytest.raises(FrozenInstanceError):
        note.field = "x"  # type: ignore[misc]


def test_read_card_file_is_lenient_too() -> None:
    character = read_card_file(json.dumps(v2_card(tags="a,b", alternate_greetings=[None])).encode())
    assert (character.tags, character.alternate_greetings) == (["a", "b"], [])


# --- PNG cards with V2 and V3 -----------------------------------------------------------------


def crc32(data: bytes) -> int:
    """CRC-32 as the PNG specification's annex D computes it, bit by bit."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0xEDB88320 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def png_text_entries(png: bytes) -> dict[str, bytes]:
    """Keyword to text of every tEXt chunk, read straight from the PNG specification (not with
    the app's reader): signature, then length/type/data/CRC until IEND."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    found: dict[str, bytes] = {}
    pos, kinds = 8, []
    while True:
        length = int.from_bytes(png[pos : pos + 4], "big")
        kind = png[pos + 4 : pos + 8]
        data = png[pos + 8 : pos + 8 + length]
        crc = int.from_bytes(png[pos + 8 + length : pos + 12 + length], "big")
        assert crc == crc32(kind + data), kind
        kinds.append(kind)
        if kind == b"tEXt":
            keyword, _, text = data.partition(b"\0")
            found[keyword.decode("latin-1")] = text
        pos += 12 + length
        if kind == b"IEND":
            break
    assert pos == len(png)
    assert kinds[0] == b"IHDR"
    return found


def decoded(text: bytes) -> dict[str, Any]:
    value = json.loads(base64.b64decode(text, validate=True).decode("utf-8"))
    assert isinstance(value, dict)
    return value


def test_png_export_writes_a_v2_chara_and_a_v3_ccv3_chunk() -> None:
    original = import_card(v3_with(name="Æsa ✨")).character
    texts = png_text_entries(write_png_card(original))
    assert set(texts) == {"chara", "ccv3"}
    v2, v3 = decoded(texts["chara"]), decoded(texts["ccv3"])
    assert (v2["spec"], v2["spec_version"]) == ("chara_card_v2", "2.0")
    assert (v3["spec"], v3["spec_version"]) == ("chara_card_v3", "3.0")
    assert v2["data"]["name"] == v3["data"]["name"] == "Æsa ✨"
    assert v3["data"]["extensions"] == v2["data"]["extensions"] == EXTENSIONS
    assert v3["data"]["character_book"] == CHARACTER_BOOK
    assert v3["data"]["nickname"] == "Ari"
    assert v3["data"]["group_only_greetings"] == ["Hello, everyone."]
    assert v3["data"]["assets"] == [
        {"type": "icon", "uri": "ccdefault:", "name": "main", "ext": "png"}
    ]
    assert "assets" not in v2["data"]
    for key, value in card_data(original).items():
        assert v3["data"][key] == value


def test_a_v2_character_gets_the_required_v3_fields() -> None:
    card = decoded(png_text_entries(write_png_card(Character(id="x", name="Bare")))["ccv3"])
    assert card["data"]["group_only_greetings"] == []
    assert card["data"]["assets"][0]["uri"] == "ccdefault:"
    assert card["data"]["extensions"] == {}


def test_either_chunk_alone_reads_back_the_same_character() -> None:
    original = import_card(v3_card()).character
    png = write_png_card(original)
    chunks = read_chunks(png)
    for drop in (b"chara\0", b"ccv3\0"):
        alone = join_chunks([chunk for chunk in chunks if not chunk.data.startswith(drop)])
        found = import_png_card(alone)
        assert card_data(found.character) == card_data(original)
        assert found.notes == ()


def test_reading_prefers_ccv3_and_notes_a_broken_one() -> None:
    both = png_with(
        text_chunk(b"tEXt", "chara", b64(v2_card(name="From V2"))),
        text_chunk(b"tEXt", "ccv3", b64(v3_with(name="From V3", tags="odd"))),
    )
    found = import_png_card(both)
    assert found.character.name == "From V3"
    assert notes_of(found) == [("data.tags", "text_as_list")]  # kept, not refused
    assert read_card_file(both).name == "From V3"
    assert read_png_card(both).name == "From V2"  # the strict reader refuses the odd ccv3

    broken = png_with(
        text_chunk(b"tEXt", "ccv3", b64({"spec": "chara_card_v3", "data": {"name": ""}})),
        text_chunk(b"tEXt", "chara", b64(v2_card(name="Fallback"))),
    )
    found = import_png_card(broken)
    assert found.character.name == "Fallback"
    assert notes_of(found) == [("ccv3", "unreadable_chunk")]


def test_png_asset_chunks_are_not_kept_in_the_avatar() -> None:
    asset = Chunk(b"tEXt", b"chara-ext-asset_:0\0" + base64.b64encode(b"sound"))
    png = png_with(asset, text_chunk(b"tEXt", "ccv3", b64(v3_card())))
    found = import_png_card(png)
    assert png_text_entries(avatar_png_bytes(found.character) or b"") == {}
    rewritten = write_png_card(found.character, png)
    assert set(png_text_entries(rewritten)) == {"chara", "ccv3"}


def test_v3_export_carries_portable_assets_after_our_icon() -> None:
    keep = {
        "type": "emotion",
        "uri": "https://example.org/happy.png",
        "name": "happy",
        "ext": "png",
    }
    extra = {
        "assets": [
            {"type": "icon", "uri": "https://example.org/old.png", "name": "main", "ext": "png"},
            keep,
            {"type": "emotion", "uri": "embeded://assets/sad.png", "name": "sad", "ext": "png"},
            7,
        ],
        "group_only_greetings": "not a list",
    }
    card = card_to_v3_dict(Character(id="x", name="A", card_extra=extra))
    assert card["data"]["assets"] == [
        {"type": "icon", "uri": "ccdefault:", "name": "main", "ext": "png"},
        keep,
    ]
    assert card["data"]["group_only_greetings"] == []
    assert card_to_v3_dict(Character(id="x", name="A"), icon_uri="")["data"]["assets"] == []


def test_builtins_round_trip_through_the_v3_chunk() -> None:
    for character in builtin_characters():
        found = import_png_card(write_png_card(character))
        assert card_data(found.character) == card_data(character)
        assert found.notes == ()


# --- sniffing file contents -------------------------------------------------------------------


def tiny_zip(card: object) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("card.json", json.dumps(card))
    return buffer.getvalue()


def test_import_card_file_tells_the_formats_apart() -> None:
    png = png_with(text_chunk(b"tEXt", "chara", b64(v2_card(name="P"))))
    assert import_card_file(png).character.name == "P"
    assert import_card_file(json.dumps(v2_card(name="J")).encode()).character.name == "J"
    assert import_card_file(tiny_zip(v3_with(name="Z"))).character.name == "Z"
    jpeg_with_zip = (
        b"\xff\xd8\xff\xe0\0\x10JFIF\0" + b"\0" * 50 + b"\xff\xd9" + tiny_zip(v3_with(name="R"))
    )
    assert import_card_file(jpeg_with_zip, filename="r.jpg").character.name == "R"
    # A JSON card misnamed .png or .charx is still read.
    assert (
        import_card_file(json.dumps(v2_card(name="M")).encode(), filename="m.png").character.name
        == "M"
    )


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        pytest.param(b"\xff\xd8\xff\xe0\0\x10JFIF" + bytes(40), "a.jpg", "JPEG image", id="jpeg"),
        pytest.param(b"GIF89a" + bytes(20), "a.gif", "GIF image", id="gif"),
        pytest.param(b"RIFF\0\0\0\0WEBPVP8 " + bytes(20), "a.webp", "WebP image", id="webp"),
        pytest.param(b"\x00\xff\xfe garbage", "card.png", "named .png", id="misnamed-png"),
        pytest.param(
            b"\x00\xff\xfe garbage", "card.charx", "not a ZIP archive", id="misnamed-charx"
        ),
        pytest.param(b"\x00\xff\xfe garbage", "card.json", "not UTF-8", id="binary-json"),
        pytest.param(b"PK\x03\x04 cut short", "card.charx", "not a complete ZIP", id="broken-zip"),
    ],
)
def test_import_card_file_refuses_clearly(content: bytes, filename: str, message: str) -> None:
    with pytest.raises(CardError, match=message):
        import_card_file(content, filename=filename)


def test_a_charx_no_longer_fails_as_not_utf8() -> None:
    with pytest.raises(CardError) as info:
        import_card_file(tiny_zip({"spec": "chara_card_v3", "data": {"description": "x"}}))
    assert "UTF-8" not in str(info.value)
    assert "missing data.name" in str(info.value)


# --- duplicates -------------------------------------------------------------------------------


def stored(character: Character, **changes: Any) -> Character:
    """``character`` as another copy in storage: other id, times and owner."""
    return replace(
        character,
        id=f"stored-{changes.pop('n', 1)}",
        created_at="2024-01-01T00:00:00.000Z",
        updated_at="2024-06-01T00:00:00.000Z",
        owner="someone-else",
        **changes,
    )


def test_a_reimported_card_is_found() -> None:
    text = json.dumps(v3_card())
    new = import_card_json(text).character
    old = stored(import_card_json(text).character, avatar=PNG_AVATAR)
    other = stored(new, n=2, name="Someone")
    assert find_duplicate(new, [other, old]) is old


def test_a_changed_card_is_not_a_duplicate() -> None:
    new = import_card(v3_card()).character
    for change in (
        {"description": "Edited."},
        {"name": "Aria II"},
        {"tags": ["calm"]},
        {"extensions": {}},
        {"card_extra": {**new.card_extra, "nickname": "Other"}},
    ):
        assert find_duplicate(new, [stored(new, **change)]) is None


def test_built_in_characters_and_the_same_record_are_skipped() -> None:
    builtin = builtin_characters()[0]
    copy = replace(builtin, id="imported", builtin=False)
    assert find_duplicate(copy, [builtin]) is None
    assert find_duplicate(copy, [copy]) is None
    assert find_duplicate(copy, [builtin, stored(copy)]) is not None


def test_defaults_an_older_import_kept_verbatim_still_match() -> None:
    new = import_card(v2_card()).character
    old = stored(
        new,
        card_extra={
            **new.card_extra,
            "group_only_greetings": [],
            "assets": [{"type": "icon", "uri": "ccdefault:", "name": "main", "ext": "png"}],
        },
    )
    assert find_duplicate(new, [old]) is old


def test_the_first_matching_copy_is_returned() -> None:
    new = import_card(v2_card()).character
    first, second = stored(new, n=1), stored(new, n=2)
    assert find_duplicate(new, iter([first, second])) is first
    assert find_duplicate(new, []) is None


def test_png_payload_written_as_ztxt_by_others_is_read_with_notes() -> None:
    payload = zlib.compress(b64(v2_card(tags="x")).encode())
    found = import_png_card(png_with(Chunk(b"zTXt", b"chara\0\0" + payload)))
    assert notes_of(found) == [("data.tags", "text_as_list")]
    assert found.character.tags == ["x"]


def test_a_replacing_import_takes_the_old_cards_id_creation_and_owner() -> None:
    from app.cards import as_replacement

    old = Character.new("Rook", description="v1", now="2025-01-01T00:00:00.000Z")
    old = replace(old, owner="user-1")
    new = Character.new("Rook", description="v2")
    taken = as_replacement(new, old)
    assert (taken.id, taken.created_at, taken.owner) == (old.id, old.created_at, "user-1")
    assert taken.description == "v2"
    assert taken.updated_at == new.updated_at
