"""Draw the app's PNG icons (web app manifest needs 192 and 512 px PNGs). Run once; commit output."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

__all__ = ["icon_png"]

WEB = Path(__file__).resolve().parent.parent / "web"


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _inside_rounded(
    x: float, y: float, x0: float, y0: float, x1: float, y1: float, r: float
) -> bool:
    cx = min(max(x, x0 + r), x1 - r)
    cy = min(max(y, y0 + r), y1 - r)
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r and x0 <= x <= x1 and y0 <= y <= y1


def icon_png(size: int) -> bytes:
    """A gradient tile with a white speech bubble, like web/icon.svg."""
    start, end = (0x7C, 0x5C, 0xFF), (0xFF, 0x6F, 0xA8)
    rows = bytearray()
    s = size / 64
    for py in range(size):
        rows.append(0)
        for px in range(size):
            x, y = (px + 0.5) / s, (py + 0.5) / s
            t = (x + y) / 128
            if not _inside_rounded(x, y, 0, 0, 64, 64, 16):
                rows += bytes((0, 0, 0, 0))
                continue
            colour = tuple(round(a + (b - a) * t) for a, b in zip(start, end, strict=True))
            bubble = _inside_rounded(x, y, 16, 14, 48, 42, 8)
            tail = (
                22 <= x <= 31
                and 40 <= y <= 50
                and (x - 22) >= (y - 40) * 0.0
                and y - 40 <= (31 - x)
            )
            if bubble or tail:
                colour = (255, 255, 255)
                if (x - 26) ** 2 + (y - 28) ** 2 <= 9 or (x - 38) ** 2 + (y - 28) ** 2 <= 9:
                    colour = start
            rows += bytes((*colour, 255))
    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + _chunk(b"IEND", b"")
    )


if __name__ == "__main__":
    for size in (192, 512):
        (WEB / f"icon-{size}.png").write_bytes(icon_png(size))
