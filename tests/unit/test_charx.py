"""CHARX cards (a ZIP with card.json and assets): round trips, RisuAI's layout, and every way a
hostile or broken archive is refused."""

from __future__ import annotations

import base64
import io
import json
import random
import struct
import tracemalloc
import warnings
import zipfile
from dataclasses import replace
from typing import Any

import pytest

from app.card_file import import_card_file, read_card_file
from app.cards import (
    CardError,
    CardImport,
    card_data,
    import_card,
    placeholder_png,
)
from app.charx import MAX_CHARX_MEMBERS, image_type, import_charx, write_charx
from app.models import Character, builtin_characters
from app.png_text import solid_png
from tests.unit.test_cards import v2_card, v3_card

MIB = 1024 * 1024
PNG = solid_png(3, 2, (40, 80, 120))
JPEG = b"\xff\xd8\xff\xe0\0\x10JFIF\0\x01\x01" + bytes(30) + b"\xff\xd9"
WEBP = b"RIFF\x1a\0\0\0WEBPVP8L" + bytes(14)


def data_url(kind: str, data: bytes) -> str:
    return f"data:image/{kind};base64," + base64.b64encode(data).decode()


def make_zip(*entries: tuple[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A ZIP of ``entries`` as given (repeated names too: a hostile archive may have them)."""
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "Duplicate name"
        with zipfile.ZipFile(buffer, "w", compression) as archive:
            for name, data in entries:
                archive.writestr(zipfile.ZipInfo(name), data, compress_type=compression)
    return buffer.getvalue()


def card_json(card: object) -> tuple[str, bytes]:
    return ("card.json", json.dumps(card).encode())


def with_icon(uri: str, **changes: Any) -> dict[str, Any]:
    card = v3_card(**changes)
    card["data"]["assets"] = [{"type": "icon", "uri": uri, "name": "main", "ext": "png"}]
    return card


def notes_of(found: CardImport) -> list[tuple[str, str]]:
    return [(note.field, note.what) for note in found.notes]


# --- round trips ------------------------------------------------------------------------------


def test_export_layout_and_card() -> None:
    character = replace(import_card(v3_card()).character, avatar=data_url("png", PNG))
    archive = zipfile.ZipFile(io.BytesIO(write_charx(character)))
    assert archive.namelist() == ["card.json", "assets/icon/images/main.png"]
    assert archive.read("assets/icon/images/main.png") == PNG
    card = json.loads(archive.read("card.json"))
    assert (card["spec"], card["spec_version"]) == ("chara_card_v3", "3.0")
    assert card["data"]["assets"] == [
        {
            "type": "icon",
            "uri": "embeded://assets/icon/images/main.png",
            "name": "main",
            "ext": "png",
        }
    ]
    assert card["data"]["group_only_greetings"] == ["Hello, everyone."]
    assert card["data"]["name"] == "Aria"
    assert "ondevice_chat" not in card["data"]["extensions"]  # the avatar is the icon file
    assert archive.testzip() is None


@pytest.mark.parametrize(
    ("kind", "image"),
    [
        pytest.param("png", PNG, id="png"),
        pytest.param("jpeg", JPEG, id="jpeg"),
        pytest.param("webp", WEBP, id="webp"),
    ],
)
def test_round_trip_keeps_the_card_and_the_avatar(kind: str, image: bytes) -> None:
    original = replace(import_card(v3_card(name="환영 ✨")).character, avatar=data_url(kind, image))
    exported = write_charx(original)
    assert f"assets/icon/images/main.{kind}" in zipfile.ZipFile(io.BytesIO(exported)).namelist()
    found = import_charx(exported)
    assert found.notes == ()
    assert found.character.avatar == original.avatar
    assert card_data(found.character) == card_data(original)
    assert found.character.id != original.id
    assert read_card_file(exported).avatar == original.avatar


def test_without_a_usable_avatar_the_icon_is_the_placeholder() -> None:
    for avatar in ("", data_url("gif", b"GIF89a" + bytes(10)), "data:image/png;base64,@@"):
        character = Character(id="x", name="Plain", avatar=avatar)
        archive = zipfile.ZipFile(io.BytesIO(write_charx(character)))
        assert archive.read("assets/icon/images/main.png") == placeholder_png("Plain")


def test_export_is_the_same_bytes_for_the_same_character() -> None:
    character = builtin_characters()[0]
    assert write_charx(character) == write_charx(character)
    info = zipfile.ZipFile(io.BytesIO(write_charx(character))).getinfo("card.json")
    assert info.date_time == (2025, 1, 1, 0, 0, 0)  # the character's updated_at


def test_builtins_round_trip() -> None:
    for character in builtin_characters():
        found = import_charx(write_charx(character))
        assert card_data(found.character) == card_data(character)
        assert found.notes == ()


def test_risuai_layout() -> None:
    """As RisuAI exports: icons under assets/icon/image/, other assets, x_meta, module.risum."""
    card = v3_card()
    card["data"]["assets"] = [
        {"type": "icon", "uri": "embeded://assets/icon/image/1.png", "name": "iconx", "ext": "png"},
        {
            "type": "x-risu-asset",
            "uri": "embeded://assets/other/image/2.webp",
            "name": "Smile",
            "ext": "webp",
        },
        {"type": "icon", "uri": "embeded://assets/icon/image/3.png", "name": "main", "ext": "png"},
    ]
    content = make_zip(
        card_json(card),
        ("module.risum", b"\x00\x01binary"),
        ("x_meta/1.json", b'{"type":"PNG"}'),
        ("assets/icon/image/1.png", solid_png(1, 1, (1, 1, 1))),
        ("assets/other/image/2.webp", WEBP),
        ("assets/icon/image/3.png", PNG),
    )
    found = import_card_file(content, filename="risu.charx")
    assert found.character.avatar == data_url("png", PNG)  # the main icon, not the first
    assert found.character.name == "Aria"
    assert "assets" not in found.character.card_extra
    assert notes_of(found) == [("data.assets", "assets_not_imported")]


def test_embedded_spelling_and_a_v2_card_json() -> None:
    content = make_zip(
        card_json(with_icon("embedded://assets/icon/images/me.jpg")),
        ("assets/icon/images/me.jpg", JPEG),
    )
    assert import_charx(content).character.avatar == data_url("jpeg", JPEG)
    plain = import_charx(make_zip(card_json(v2_card(name="Old"))))
    assert (plain.character.name, plain.character.avatar, plain.notes) == ("Old", "", ())


def test_a_missing_or_unsupported_icon_is_noted() -> None:
    missing = import_charx(make_zip(card_json(with_icon("embeded://assets/icon/images/x.png"))))
    assert missing.character.avatar == ""
    assert notes_of(missing) == [("data.assets", "icon_missing")]
    svg = make_zip(
        card_json(with_icon("embeded://assets/icon/images/x.svg")),
        ("assets/icon/images/x.svg", b"<svg onload='alert(1)'/>"),
    )
    found = import_charx(svg)
    assert found.character.avatar == ""
    assert notes_of(found) == [("data.assets", "icon_unsupported")]


def test_odd_fields_in_card_json_are_noted_like_any_card() -> None:
    found = import_charx(make_zip(card_json({**v3_card(tags="a, b"), "spec": "chara_card_v3 "})))
    assert found.character.tags == ["a", "b"]
    assert notes_of(found) == [("spec", "spec_corrected"), ("data.tags", "text_as_list")]


def test_a_jpeg_with_a_charx_appended_is_read() -> None:
    content = JPEG + make_zip(
        card_json(with_icon("embeded://assets/icon/images/main.png", name="Hybrid")),
        ("assets/icon/images/main.png", PNG),
    )
    found = import_card_file(content, filename="hybrid.jpeg")
    assert found.character.name == "Hybrid"
    assert found.character.avatar == data_url("png", PNG)


def test_image_type_by_magic_bytes() -> None:
    assert [image_type(data) for data in (PNG, JPEG, WEBP)] == ["png", "jpeg", "webp"]
    assert image_type(b"GIF89a") is None
    assert image_type(b"RIFF\0\0\0\0WAVE") is None
    assert image_type(b"") is None


# --- refusals ---------------------------------------------------------------------------------


def patched(
    content: bytes, name: str, local_offset: int, central_offset: int, fmt: str, value: int
) -> bytes:
    """``content`` with one field of member ``name``'s local and central headers changed."""
    out = bytearray(content)
    local = content.find(b"PK\x03\x04")
    while content[local + 30 : local + 30 + len(name)] != name.encode():
        local = content.find(b"PK\x03\x04", local + 4)
    struct.pack_into(fmt, out, local + local_offset, value)
    central = content.find(b"PK\x01\x02")
    while content[central + 46 : central + 46 + len(name)] != name.encode():
        central = content.find(b"PK\x01\x02", central + 4)
    struct.pack_into(fmt, out, central + central_offset, value)
    return bytes(out)


def declared_size(content: bytes, name: str, size: int) -> bytes:
    return patched(content, name, 22, 24, "<I", size)


def streamed_zip(
    name: str, size: int, *, head: bytes = b"", fill: int = 0, card: bool = True
) -> bytes:
    """A ZIP (with a card.json unless ``card`` is false) whose member ``name`` is ``head`` then
    ``size`` bytes of ``fill``, written a MiB at a time so the test itself stays small."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        if card:
            archive.writestr(*card_json(with_icon("embeded://assets/icon/images/main.png")))
        with archive.open(name, "w") as member:
            member.write(head)
            for _ in range(size // MIB):
                member.write(bytes([fill]) * MIB)
    return buffer.getvalue()


def _refusals() -> list[Any]:
    good = make_zip(card_json(v3_card()), ("assets/icon/images/main.png", PNG))
    big_json = json.dumps(v3_card()).encode() + b" " * (16 * MIB + 1)
    many = [(f"assets/other/{i}.txt", b"") for i in range(MAX_CHARX_MEMBERS + 1)]
    return [
        pytest.param(b"PK\x03\x04" + bytes(64 * MIB), "too large to import", id="file-too-large"),
        pytest.param(
            make_zip(card_json(v3_card()), *many), "over 2048 files", id="too-many-members"
        ),
        pytest.param(
            make_zip(card_json(v3_card()), ("../evil.txt", b"x")), "unsafe name", id="dot-dot"
        ),
        pytest.param(
            make_zip(card_json(v3_card()), ("assets/../../evil", b"x")),
            "unsafe name",
            id="dot-dot-deep",
        ),
        pytest.param(
            make_zip(card_json(v3_card()), ("/etc/passwd", b"x")), "unsafe name", id="absolute"
        ),
        pytest.param(
            make_zip(card_json(v3_card()), ("C:/evil.txt", b"x")), "unsafe name", id="drive"
        ),
        pytest.param(
            make_zip(card_json(v3_card()), ("assets\\..\\evil", b"x")),
            "unsafe name",
            id="backslash",
        ),
        pytest.param(
            make_zip(card_json(v3_card()), card_json(v2_card())),
            "two files named 'card.json'",
            id="duplicate",
        ),
        pytest.param(
            streamed_zip("assets/other/bomb.bin", 65 * MIB),
            "would unpack to over 64 MiB",
            id="bomb-unread-member",
        ),
        pytest.param(
            make_zip(("card.json", big_json)),
            "'card.json' would unpack to over 16 MiB",
            id="card-json-too-large",
        ),
        pytest.param(
            streamed_zip("assets/icon/images/main.png", 17 * MIB, head=PNG),
            "'assets/icon/images/main.png' would unpack to over 16 MiB",
            id="icon-too-large",
        ),
        pytest.param(patched(good, "card.json", 6, 8, "<H", 1), "encrypted", id="encrypted"),
        pytest.param(
            patched(good, "card.json", 8, 10, "<H", 99), "compression", id="unknown-compression"
        ),
        pytest.param(
            make_zip(("assets/icon/images/main.png", PNG)), "no card.json", id="no-card-json"
        ),
        pytest.param(make_zip(("card.json/", b"")), "no card.json", id="card-json-folder"),
        pytest.param(
            make_zip(("card.json", b"{not json")), "not valid JSON", id="card-json-not-json"
        ),
        pytest.param(
            make_zip(card_json({"spec": "chara_card_v3", "data": {}})),
            "missing data.name",
            id="no-name",
        ),
        pytest.param(good[:-30], "not a complete ZIP archive", id="truncated"),
        pytest.param(b"PK\x03\x04" + b"x" * 100, "not a complete ZIP archive", id="not-a-zip"),
        pytest.param(
            good[: good.find(b"PK\x01\x02")] + good[good.find(b"PK\x05\x06") :],
            "not a readable ZIP",
            id="no-directory",
        ),
    ]


@pytest.mark.parametrize(("content", "message"), _refusals())
def test_hostile_or_broken_charx_is_refused(content: bytes, message: str) -> None:
    with pytest.raises(CardError, match=message) as info:
        import_card_file(content, filename="card.charx")
    assert type(info.value) is CardError
    assert str(info.value)[0].isupper()


def test_a_zip_bomb_that_lies_about_its_size_is_not_unpacked() -> None:
    """card.json says 1 KiB but inflates to 200 MiB: reading stops near the size it claims."""
    head = json.dumps(v3_card()).encode()
    packed = streamed_zip("card.json", 200 * MIB, head=head, fill=ord(" "), card=False)
    assert len(packed) < MIB  # a real bomb: 200 MiB of JSON packed in a few hundred KiB
    lying = declared_size(packed, "card.json", 1024)
    assert zipfile.ZipFile(io.BytesIO(lying)).getinfo("card.json").file_size == 1024
    tracemalloc.start()
    try:
        with pytest.raises(CardError, match=r"'card\.json' cannot be unpacked"):
            import_charx(lying)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * MIB
    with pytest.raises(CardError, match=r"'card\.json' would unpack to over 64 MiB"):
        import_charx(packed)  # the same bomb, telling the truth


def test_a_huge_honest_member_is_refused_before_unpacking() -> None:
    bomb = streamed_zip("assets/x.bin", 200 * MIB)
    tracemalloc.start()
    try:
        with pytest.raises(CardError, match="would unpack to over 64 MiB"):
            import_charx(bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * MIB


def test_an_icon_that_lies_about_its_size_is_refused() -> None:
    packed = make_zip(
        card_json(with_icon("embeded://assets/icon/images/main.png")),
        ("assets/icon/images/main.png", PNG + bytes(40 * MIB)),
    )
    with pytest.raises(CardError, match="cannot be unpacked"):
        import_charx(declared_size(packed, "assets/icon/images/main.png", len(PNG)))


def test_mutated_charx_files_only_ever_raise_card_error() -> None:
    rng = random.Random(2024)
    character = replace(import_card(v3_card()).character, avatar=data_url("png", PNG))
    good = write_charx(character)
    outcomes = set()
    for _ in range(400):
        damaged = bytearray(good)
        for _ in range(rng.randint(1, 6)):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        cut = rng.choice([len(damaged), rng.randrange(len(damaged) + 1)])
        try:
            found = import_card_file(bytes(damaged[:cut]))
        except CardError:
            outcomes.add("refused")
            continue
        assert isinstance(found, CardImport)
        outcomes.add("read")
    assert outcomes == {"refused", "read"}
