"""Run the real server in a subprocess, as ``make run`` does, on a free port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ROOT", "LiveServer", "free_port", "migrate", "serve"]

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class LiveServer:
    """Where the running server answers."""

    url: str
    data_dir: Path
    env: dict[str, str]


def migrate(env: dict[str, str]) -> None:
    """``piccolo migrations forwards all`` against the database ``env`` names."""
    subprocess.run(
        [sys.executable, "-m", "piccolo.main", "migrations", "forwards", "all"],
        cwd=ROOT,
        env={**os.environ, "PICCOLO_CONF": "server.piccolo_conf", **env},
        check=True,
        capture_output=True,
    )


@contextmanager
def serve(data_dir: Path, extra_env: dict[str, str] | None = None) -> Iterator[LiveServer]:
    """Migrate, start ``python -m server``, wait for ``/healthz``, stop it afterwards."""
    port = free_port()
    env = {"HOST": "127.0.0.1", "PORT": str(port), "DATA_DIR": str(data_dir), **(extra_env or {})}
    migrate(env)
    log = (data_dir / "server.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "server"],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"server did not start: {(data_dir / 'server.log').read_text()}"
                    ) from None
                time.sleep(0.1)
        yield LiveServer(url=url, data_dir=data_dir, env=env)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
