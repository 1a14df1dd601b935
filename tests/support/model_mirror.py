"""A model mirror on loopback: the tiny model's folder served in Hugging Face layout.

The page reaches it exactly as it reaches any mirror (``MODEL_MIRROR_BASE_URL``): cross-origin,
with CORS. It counts every request, so a test can tell that a reload fetched nothing.
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.support.live_server import ROOT

__all__ = ["TINY_MODEL", "ModelMirror", "serve_mirror", "tiny_preset"]

TINY_MODEL = ROOT / "build" / "tiny-model"


def tiny_preset() -> dict[str, Any]:
    """The ModelRecord ``make tiny-model`` wrote for the tiny model."""
    records = json.loads((TINY_MODEL / "preset.json").read_text())
    return dict(records[0])


@dataclass
class ModelMirror:
    """Where the mirror answers, and the paths it was asked for (in order)."""

    url: str
    root: Path
    requests: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def seen(self) -> list[str]:
        """A copy of the request paths so far."""
        with self.lock:
            return list(self.requests)

    def total_bytes(self, *prefixes: str) -> int:
        """Bytes of the files under ``prefixes`` (relative to the mirror root)."""
        return sum(
            path.stat().st_size
            for prefix in prefixes
            for path in (self.root / prefix).rglob("*")
            if path.is_file()
        )


class _Handler(SimpleHTTPRequestHandler):
    mirror: ModelMirror

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        """Quiet: the test reads :attr:`ModelMirror.requests` instead."""

    def do_GET(self) -> None:
        with self.mirror.lock:
            self.mirror.requests.append(self.path)
        super().do_GET()

    def end_headers(self) -> None:
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Cache-Control", "no-store")
        super().end_headers()


_Handler.extensions_map = {**SimpleHTTPRequestHandler.extensions_map, ".wasm": "application/wasm"}


@contextmanager
def serve_mirror(root: Path = TINY_MODEL / "mirror") -> Iterator[ModelMirror]:
    """Serve ``root`` on a free loopback port until the block ends."""
    if not root.is_dir():
        raise RuntimeError(f"{root} is missing: `make tiny-model` builds it")
    mirror = ModelMirror("", root)
    handler = type("MirrorHandler", (_Handler,), {"mirror": mirror})
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(root)))
    mirror.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield mirror
    finally:
        server.shutdown()
        server.server_close()
