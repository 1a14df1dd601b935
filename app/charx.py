"""CHARX character cards: a ZIP holding ``card.json`` (a V3 card) and the files it names.

Import reads ``card.json`` and the card's main icon (an ``embeded://`` path, as the V3 spec spells
it, or ``embedded://``) as the avatar when its bytes are a PNG, JPEG or WebP image; the other
assets (emotions, backgrounds, RisuAI's ``module.risum``...) stay behind, which the import notes
say. Export writes ``card.json`` and the avatar as ``assets/icon/images/main.<ext>``, referenced
from the card as its main icon.

Everything happens on bytes in memory with :mod:`zipfile`, and an archive is hostile until shown
otherwise: it is refused (:class:`~app.cards.CardError`) when the file is over 64 MiB, lists over
2048 files (counted from its end record before the directory is read), has a member whose name
could escape a folder or repeats another, or one whose declared size is over 64 MiB. The members
read are checked again by what they unpack to, read with a bounded read rather than by trusting
their headers: ``card.json`` at most 16 MiB, the icon at most 16 MiB.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import struct
import zipfile
import zlib
from datetime import datetime
from typing import IO, TYPE_CHECKING

from app.cards import (
    MAX_CARD_JSON_BYTES,
    CardError,
    CardImport,
    CardNote,
    card_to_v3_dict,
    import_card,
    load_card_json,
    main_icon_uri,
    placeholder_png,
)

if TYPE_CHECKING:
    from app.models import Character

__all__ = [
    "MAX_CHARX_BYTES",
    "MAX_CHARX_MEMBERS",
    "MAX_ICON_BYTES",
    "MAX_MEMBER_BYTES",
    "holds_zip",
    "image_type",
    "import_charx",
    "write_charx",
]

MAX_CHARX_BYTES = 64 * 1024 * 1024
MAX_CHARX_MEMBERS = 2048
MAX_MEMBER_BYTES = 64 * 1024 * 1024
"""The most any member may declare it unpacks to, read or not: more is a ZIP bomb."""
MAX_ICON_BYTES = 16 * 1024 * 1024
CARD_MEMBER = "card.json"
ICON_FOLDER = "assets/icon/images/"
_EMBEDDED = ("embeded://", "embedded://")
_END_RECORD = b"PK\x05\x06"
_END_RECORD_SIZE = 22
_MAX_COMMENT = 65535
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    EOFError,
    OSError,
    ValueError,
    RuntimeError,
    NotImplementedError,
    struct.error,
    IndexError,
    KeyError,
    OverflowError,
)
"""What :mod:`zipfile` raises on a damaged archive (``CardError`` is never raised inside)."""
_READ_STEP = 64 * 1024
_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a ZIP entry can carry


def _refused(reason: str) -> CardError:
    return CardError(f"This CHARX file is refused: {reason}")


def _damaged(reason: str) -> CardError:
    return CardError(f"This CHARX file is damaged: {reason}")


# --- reading the archive ----------------------------------------------------------------------


def _end_record(content: bytes) -> int | None:
    """Where the ZIP's end record starts, searched only where the format allows it to be."""
    start = max(0, len(content) - _END_RECORD_SIZE - _MAX_COMMENT)
    at = bytes(content).rfind(_END_RECORD, start)
    return at if at >= 0 and at + _END_RECORD_SIZE <= len(content) else None


def holds_zip(content: bytes) -> bool:
    """Whether ``content`` ends like a ZIP archive (RisuAI appends a CHARX to a JPEG)."""
    return _end_record(content) is not None


def _check_file(content: bytes) -> None:
    """Refuse a file too big, or whose end record lists too many members, before unpacking."""
    if len(content) > MAX_CHARX_BYTES:
        raise CardError("This CHARX file is too large to import (over 64 MiB)")
    at = _end_record(content)
    if at is None:
        raise _damaged("it is not a complete ZIP archive")
    (count,) = struct.unpack_from("<H", content, at + 10)
    if count > MAX_CHARX_MEMBERS:  # 0xFFFF (ZIP64) is counted again once the directory is read
        raise _refused(f"it holds over {MAX_CHARX_MEMBERS} files")


def _unsafe_name(name: str) -> bool:
    """A member name that could land outside the folder it is unpacked in."""
    parts = name.rstrip("/").split("/")
    return (
        not name
        or "\\" in name
        or "\0" in name
        or name.startswith("/")
        or ":" in parts[0]
        or any(part in ("", "..") for part in parts)
    )


def _members(infos: list[zipfile.ZipInfo]) -> dict[str, zipfile.ZipInfo]:
    """The archive's members by name, once every one of them is found harmless."""
    if len(infos) > MAX_CHARX_MEMBERS:
        raise _refused(f"it holds over {MAX_CHARX_MEMBERS} files")
    members: dict[str, zipfile.ZipInfo] = {}
    for info in infos:
        name = info.filename
        if _unsafe_name(name):
            raise _refused(f"it holds a file with an unsafe name ({name[:80]!r})")
        if name in members:
            raise _refused(f"it holds two files named {name[:80]!r}")
        if info.file_size > MAX_MEMBER_BYTES:
            raise _refused(f"{name[:80]!r} would unpack to over 64 MiB")
        members[name] = info
    return members


def _open(content: bytes) -> tuple[zipfile.ZipFile, dict[str, zipfile.ZipInfo]]:
    _check_file(content)
    try:
        archive = zipfile.ZipFile(io.BytesIO(bytes(content)))
    except _ZIP_ERRORS as exc:
        raise _damaged("it is not a readable ZIP archive") from exc
    try:
        return archive, _members(archive.infolist())
    except CardError:
        archive.close()
        raise


def _bounded_read(member: IO[bytes], limit: int) -> bytes | None:
    """At most ``limit`` bytes of ``member``, None when there are more. Small steps: a member
    inflates up to the size asked for before its header's size cuts it short."""
    pieces: list[bytes] = []
    total = 0
    while piece := member.read(_READ_STEP):
        total += len(piece)
        if total > limit:
            return None
        pieces.append(piece)
    return b"".join(pieces)


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    """A member's bytes, at most ``limit``: the header's size is checked, then the real one."""
    name = info.filename[:80]
    if info.flag_bits & 0x1:
        raise _refused(f"{name!r} is encrypted")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise _refused(f"{name!r} uses a compression this app cannot read")
    too_large = _refused(f"{name!r} would unpack to over {limit // (1024 * 1024)} MiB")
    if info.file_size > limit:
        raise too_large
    try:
        with archive.open(info) as member:
            data = _bounded_read(member, limit)
    except _ZIP_ERRORS as exc:
        raise _damaged(f"{name!r} cannot be unpacked") from exc
    if data is None:
        raise too_large
    return data


def image_type(data: bytes) -> str | None:
    """``png``, ``jpeg`` or ``webp`` when ``data`` starts like one (the avatar types we take)."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def _icon(
    archive: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo], card: object
) -> tuple[str | None, tuple[CardNote, ...]]:
    """The main icon as an avatar data URL (``""``: named but unusable, None: not a file here)."""
    uri = main_icon_uri(card) or ""
    prefix = next((start for start in _EMBEDDED if uri.startswith(start)), None)
    if prefix is None:
        return None, ()
    info = members.get(uri[len(prefix) :])
    if info is None or info.is_dir():
        return "", (CardNote("data.assets", "icon_missing"),)
    data = _read_member(archive, info, MAX_ICON_BYTES)
    kind = image_type(data)
    if kind is None:
        return "", (CardNote("data.assets", "icon_unsupported"),)
    return f"data:image/{kind};base64," + base64.b64encode(data).decode("ascii"), ()


def import_charx(content: bytes, *, now: str | None = None) -> CardImport:
    """The character in a CHARX file, its main icon as the avatar; :class:`CardError` when the
    archive is damaged, hostile or holds no card."""
    archive, members = _open(content)
    with archive:
        info = members.get(CARD_MEMBER)
        if info is None or info.is_dir():
            raise CardError(
                f"This file is not a character card: the CHARX file has no {CARD_MEMBER}"
            )
        card = load_card_json(_read_member(archive, info, MAX_CARD_JSON_BYTES))
        picture, notes = _icon(archive, members, card)
    found = import_card(card, picture=picture, now=now)
    return CardImport(found.character, notes + found.notes)


# --- writing ----------------------------------------------------------------------------------


def _avatar_image(character: Character) -> tuple[bytes, str]:
    """The avatar's bytes and type when it is a PNG/JPEG/WebP data URL, else a placeholder PNG
    (another app shows an icon; ours reads it back as the avatar, as from a PNG card)."""
    head, sep, body = character.avatar.partition(";base64,")
    if sep and head.startswith("data:image/"):
        try:
            data = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            data = b""
        kind = image_type(data)
        if kind is not None:
            return data, kind
    return placeholder_png(character.name), "png"


def _zip_time(stamp: str) -> tuple[int, int, int, int, int, int]:
    """The entries' time: when the character was last changed (same character, same bytes)."""
    try:
        when = datetime.fromisoformat(stamp)
    except ValueError:
        return _EPOCH
    fields = (when.year, when.month, when.day, when.hour, when.minute, when.second)
    return fields if when.year >= _EPOCH[0] else _EPOCH


def _entry(
    name: str, compress_type: int, when: tuple[int, int, int, int, int, int]
) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, when)
    info.compress_type = compress_type
    info.external_attr = 0o644 << 16  # a plain readable file when unpacked
    return info


def write_charx(character: Character) -> bytes:
    """``character`` as a CHARX file: ``card.json`` (V3) and the avatar as its main icon."""
    image, kind = _avatar_image(character)
    path = f"{ICON_FOLDER}main.{kind}"
    card = card_to_v3_dict(character, icon_uri=_EMBEDDED[0] + path, icon_ext=kind)
    text = json.dumps(card, ensure_ascii=False, indent=2).encode("utf-8")
    when = _zip_time(character.updated_at)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(_entry(CARD_MEMBER, zipfile.ZIP_DEFLATED, when), text)
        archive.writestr(_entry(path, zipfile.ZIP_STORED, when), image)  # already compressed
    return buffer.getvalue()
