"""Reading and writing the text chunks of a PNG file, and drawing a plain one.

Only what character cards need: split a PNG into chunks (checking the signature, the lengths and
that it ends with ``IEND``), read ``tEXt``/``zTXt``/``iTXt`` entries, add or replace a ``tEXt``
entry before ``IEND``, and make a small solid-colour PNG with ``zlib`` and ``struct``. Pixel data
is never decoded. Compressed text is inflated with a size limit, so a small file cannot expand
into a huge one.
"""

from __future__ import annotations

import struct
import zlib
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = [
    "PNG_SIGNATURE",
    "Chunk",
    "PngError",
    "join_chunks",
    "read_chunks",
    "read_text_chunks",
    "remove_text_chunks",
    "solid_png",
    "with_text_chunk",
]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_TEXT_BYTES = 32 * 1024 * 1024
"""The most a text chunk may hold, compressed or not."""
_TEXT_TYPES = (b"tEXt", b"zTXt", b"iTXt")
_MAX_CHUNK = 2**31 - 1  # the PNG limit on one chunk's length


class PngError(ValueError):
    """The bytes are not a PNG file this module can read."""


class Chunk(NamedTuple):
    """One PNG chunk: its four-letter type and its data (the CRC is recomputed on writing)."""

    type: bytes
    data: bytes


def read_chunks(png: bytes, *, check_crc: bool = False) -> list[Chunk]:
    """The chunks of ``png`` in order, from ``IHDR`` to ``IEND``; :class:`PngError` if broken."""
    if not png.startswith(PNG_SIGNATURE):
        raise PngError("not a PNG image (the PNG signature is missing)")
    chunks: list[Chunk] = []
    pos = len(PNG_SIGNATURE)
    view = memoryview(png)
    while True:
        if pos + 8 > len(png):
            raise PngError("the PNG file is truncated (it ends before its IEND chunk)")
        length, kind = struct.unpack_from(">I4s", png, pos)
        if length > _MAX_CHUNK or not kind.isalpha():
            raise PngError("the PNG file is damaged (a chunk header is invalid)")
        end = pos + 8 + length
        if end + 4 > len(png):
            raise PngError("the PNG file is truncated (a chunk is cut short)")
        data = bytes(view[pos + 8 : end])
        if check_crc:
            (crc,) = struct.unpack_from(">I", png, end)
            if crc != zlib.crc32(kind + data) & 0xFFFFFFFF:
                raise PngError(f"the PNG file is damaged (bad checksum in {kind.decode()} chunk)")
        if not chunks and kind != b"IHDR":
            raise PngError("the PNG file is damaged (it does not start with IHDR)")
        chunks.append(Chunk(kind, data))
        pos = end + 4
        if kind == b"IEND":
            return chunks


def join_chunks(chunks: Iterable[Chunk]) -> bytes:
    """A PNG file made of ``chunks`` (with fresh CRCs)."""
    out = bytearray(PNG_SIGNATURE)
    for kind, data in chunks:
        out += struct.pack(">I", len(data)) + kind + data
        out += struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    return bytes(out)


def _inflate(data: bytes) -> bytes:
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, MAX_TEXT_BYTES + 1)
    except zlib.error as exc:
        raise PngError("a compressed PNG text chunk is damaged") from exc
    if len(out) > MAX_TEXT_BYTES:
        raise PngError("a PNG text chunk is too large")
    return out


def _decode_text_chunk(chunk: Chunk) -> tuple[str, str] | None:
    """``(keyword, text)`` of a text chunk; None for a malformed one (other tools skip them)."""
    keyword, sep, rest = chunk.data.partition(b"\0")
    if not sep or not 1 <= len(keyword) <= 79:
        return None
    name = keyword.decode("latin-1")
    if chunk.type == b"tEXt":
        return name, rest.decode("latin-1")
    if chunk.type == b"zTXt":
        if rest[:1] != b"\0":  # compression method 0 (zlib) is the only one defined
            return None
        return name, _inflate(rest[1:]).decode("latin-1")
    # iTXt: flag, method, language tag \0, translated keyword \0, text (UTF-8)
    if len(rest) < 2:
        return None
    compressed, method = rest[0], rest[1]
    _language, sep1, rest = rest[2:].partition(b"\0")
    _translated, sep2, body = rest.partition(b"\0")
    if not (sep1 and sep2):
        return None
    if compressed:
        if method != 0:
            return None
        body = _inflate(body)
    try:
        return name, body.decode("utf-8")
    except UnicodeDecodeError:
        return None


def read_text_chunks(chunks: Iterable[Chunk]) -> dict[str, str]:
    """Keyword to text for every readable text chunk (the first one wins for a keyword)."""
    texts: dict[str, str] = {}
    for chunk in chunks:
        if chunk.type in _TEXT_TYPES:
            entry = _decode_text_chunk(chunk)
            if entry is not None and entry[0] not in texts:
                texts[entry[0]] = entry[1]
    return texts


def _keyword(chunk: Chunk) -> str | None:
    if chunk.type not in _TEXT_TYPES:
        return None
    keyword, sep, _ = chunk.data.partition(b"\0")
    return keyword.decode("latin-1") if sep else None


def remove_text_chunks(
    chunks: Iterable[Chunk], keywords: Iterable[str], *, prefixes: Iterable[str] = ()
) -> list[Chunk]:
    """``chunks`` without the text chunks whose keyword is one of ``keywords`` or starts with
    one of ``prefixes`` (any case): a family of chunks (``chara-ext-asset_:1``...) goes at once."""
    drop = {word.lower() for word in keywords}
    starts = tuple(prefix.lower() for prefix in prefixes)
    kept: list[Chunk] = []
    for chunk in chunks:
        keyword = _keyword(chunk)
        name = "" if keyword is None else keyword.lower()
        if keyword is None or (name not in drop and not (starts and name.startswith(starts))):
            kept.append(chunk)
    return kept


def with_text_chunk(chunks: Iterable[Chunk], keyword: str, text: str) -> list[Chunk]:
    """``chunks`` with a ``tEXt`` entry ``keyword``/``text`` (Latin-1) just before ``IEND``."""
    if not 1 <= len(keyword) <= 79:
        raise ValueError("a PNG text keyword has 1 to 79 characters")
    try:
        data = keyword.encode("latin-1") + b"\0" + text.encode("latin-1")
    except UnicodeEncodeError as exc:
        raise ValueError("tEXt holds Latin-1 text only; encode it (base64) first") from exc
    out = [chunk for chunk in chunks if chunk.type != b"IEND"]
    return [*out, Chunk(b"tEXt", data), Chunk(b"IEND", b"")]


def solid_png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A ``width`` x ``height`` PNG of one colour (8-bit RGB, no interlace)."""
    if not (1 <= width <= 4096 and 1 <= height <= 4096):
        raise ValueError("solid_png draws 1 to 4096 pixels a side")
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    row = b"\0" + bytes(rgb) * width  # filter byte 0 (None), then the pixels
    pixels = zlib.compress(row * height, 9)
    return join_chunks([Chunk(b"IHDR", header), Chunk(b"IDAT", pixels), Chunk(b"IEND", b"")])
