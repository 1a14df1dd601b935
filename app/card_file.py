"""A character card from any file the user picks: PNG, CHARX (a ZIP, or RisuAI's JPEG with one
appended) or JSON, told apart by their first bytes.

:mod:`app.cards` reads JSON and PNG cards and :mod:`app.charx` builds CHARX on it; this module
sits above both, so neither imports the other back.
"""

from __future__ import annotations

import codecs

from app import charx
from app.cards import (
    CardError,
    CardImport,
    damaged_card,
    import_card_json,
    import_png_card,
    not_a_card,
)
from app.models import Character
from app.png_text import PNG_SIGNATURE

__all__ = ["import_card_file", "read_card_file"]

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")


def _other_picture(head: bytes) -> str | None:
    """The name of an image format that holds no card we read, when ``head`` starts one."""
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "GIF"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WebP"
    return None


def _misnamed(content: bytes, filename: str) -> CardError | None:
    """A clearer refusal for binary bytes whose file name promises a card format."""
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if suffix not in ("png", "charx"):
        return None
    try:
        codecs.getincrementaldecoder("utf-8")().decode(bytes(content[:4096]), final=False)
    except UnicodeDecodeError:
        if suffix == "png":
            return not_a_card("it is named .png but is not a PNG image")
        return damaged_card("this .charx file is not a ZIP archive")
    return None


def import_card_file(content: bytes, *, filename: str = "", now: str | None = None) -> CardImport:
    """A card from a file's bytes: PNG, CHARX (a ZIP, or RisuAI's JPEG with one appended) or
    JSON, told apart by their first bytes; ``filename`` only makes a refusal clearer."""
    head = bytes(content[:12])
    if head.startswith(PNG_SIGNATURE):
        return import_png_card(content, now=now)
    if head.startswith(_ZIP_MAGIC) or (
        head.startswith(b"\xff\xd8\xff") and charx.holds_zip(content)
    ):
        return charx.import_charx(content, now=now)
    picture = _other_picture(head)
    if picture is not None:
        raise not_a_card(f"this {picture} image holds no character data")
    misnamed = _misnamed(content, filename)
    if misnamed is not None:
        raise misnamed
    return import_card_json(content, now=now)


def read_card_file(content: bytes) -> Character:
    """A card from a file's bytes (PNG, CHARX or JSON), odd fields dropped or converted."""
    return import_card_file(content).character
