"""A cheap fingerprint of a set of files (their sizes and modification times), so a value
derived from their contents is recomputed only when one of them may have changed."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

__all__ = ["Stamp", "stamp_of"]

Stamp = tuple[tuple[str, int, int], ...]


def stamp_of(files: Iterable[tuple[str, Path]]) -> Stamp:
    """``(name, size, mtime_ns)`` per file; ``(-1, -1)`` for one that cannot be read."""
    stamp = []
    for name, path in files:
        try:
            info = path.stat()
        except OSError:
            stamp.append((name, -1, -1))
        else:
            stamp.append((name, info.st_size, info.st_mtime_ns))
    return tuple(stamp)
