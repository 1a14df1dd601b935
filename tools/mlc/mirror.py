"""Serve a folder as a model mirror: static files in Hugging Face layout, with CORS.

``MODEL_MIRROR_BASE_URL`` points the app at any host laid out like Hugging Face
(``<owner>/<repo>/resolve/main/<file>``). This is the smallest such host, for a locally built
model (``make tiny-model``) or a test; it counts the requests it answers.

    python tools/mlc/mirror.py build/tiny-model/mirror --port 8001
    PRESETS_FILE=build/tiny-model/preset.json MODEL_MIRROR_BASE_URL=http://127.0.0.1:8001 make run
"""

from __future__ import annotations

import argparse
import functools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

__all__ = ["ModelMirror", "serve_mirror"]


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


class _Handler(SimpleHTTPRequestHandler):
    mirror: ModelMirror
    extensions_map: ClassVar[dict[str, str]] = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".wasm": "application/wasm",
    }

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: :attr:`ModelMirror.requests` records what was asked."""

    def do_GET(self) -> None:
        with self.mirror.lock:
            self.mirror.requests.append(self.path)
        super().do_GET()

    def end_headers(self) -> None:
        # The page fetches cross-origin; byte-for-byte files, never a transformed encoding.
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Cache-Control", "no-store")
        super().end_headers()


@contextmanager
def serve_mirror(root: Path, host: str = "127.0.0.1", port: int = 0) -> Iterator[ModelMirror]:
    """Serve ``root`` (port 0: a free one) until the block ends."""
    if not root.is_dir():
        raise FileNotFoundError(f"{root} is not a directory (`make tiny-model` builds one)")
    mirror = ModelMirror("", root)
    handler = type("MirrorHandler", (_Handler,), {"mirror": mirror})
    server = ThreadingHTTPServer((host, port), functools.partial(handler, directory=str(root)))
    mirror.url = f"http://{host}:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield mirror
    finally:
        server.shutdown()
        server.server_close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path, help="folder in Hugging Face layout")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args()
    with serve_mirror(args.root, args.host, args.port) as mirror:
        print(f"serving {args.root} at {mirror.url} (Ctrl-C stops)", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
