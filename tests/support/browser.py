"""Which Chromium to drive and how: the system one, headless, WebGPU on, quiet and offline."""

from __future__ import annotations

import os
import shutil
from typing import Any

__all__ = ["QUIET_FLAGS", "chromium_executable", "launch_options"]

#: Keep Chromium from phoning home: the tests assert that the page makes no external request.
QUIET_FLAGS = (
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-domain-reliability",
)


def chromium_executable() -> str:
    """``CHROMIUM`` from the environment, else Debian's ``chromium`` on PATH."""
    found = (
        os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    )
    if not found:
        raise RuntimeError("no Chromium found: `make test` installs Debian's chromium")
    return found


def launch_options(*, webgpu: bool = True) -> dict[str, Any]:
    """Keyword arguments for ``browser_type.launch``."""
    args = list(QUIET_FLAGS)
    if webgpu:
        args.append("--enable-unsafe-webgpu")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.append("--no-sandbox")  # Chromium refuses to sandbox as root
    return {"executable_path": chromium_executable(), "args": args, "headless": True}
