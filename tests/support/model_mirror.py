"""The tiny model's mirror for the tests: `make tiny-model`'s folder served on loopback.

The page reaches it exactly as it reaches any mirror (``MODEL_MIRROR_BASE_URL``): cross-origin,
with CORS, through ``tools/mlc/mirror.py``, which counts every request, so a test can tell that a
reload fetched nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.support.live_server import ROOT
from tools.mlc import mirror

__all__ = ["TINY_MODEL", "ModelMirror", "serve_mirror", "tiny_preset"]

TINY_MODEL = ROOT / "build" / "tiny-model"
ModelMirror = mirror.ModelMirror


def tiny_preset() -> dict[str, Any]:
    """The ModelRecord ``make tiny-model`` wrote for the tiny model."""
    records = json.loads((TINY_MODEL / "preset.json").read_text())
    return dict(records[0])


@contextmanager
def serve_mirror(root: Path = TINY_MODEL / "mirror") -> Iterator[mirror.ModelMirror]:
    """Serve ``root`` on a free loopback port until the block ends."""
    with mirror.serve_mirror(root) as served:
        yield served
