"""The two lists the model picker starts from, requested as soon as Python runs.

WebLLM's built-in models (read out of its module at setup, ``tools/vendor_runtime.py``) and the
server's custom presets and mirror. ``app.browser.main`` asks for both before importing the rest of the
page's modules, so the answers are in by the time the controller needs them.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from pyscript import fetch, window

from app.browser import webllm
from app.browser.jsbridge import to_py

__all__ = ["PREBUILT_URL", "PRESETS_URL", "ModelLists", "ServerPresets"]

PREBUILT_URL = "/runtime/web-llm/prebuilt-app-config.json"
PRESETS_URL = "/model-presets.json"


@dataclass(frozen=True)
class ServerPresets:
    """``/model-presets.json``: nothing of it where the server is not reachable."""

    mirror: str = ""
    presets: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)


async def _prebuilt() -> list[Any]:
    """WebLLM's ``prebuiltAppConfig.model_list``: from the JSON file, else from the module."""
    try:
        response = await fetch(PREBUILT_URL)
        if response.ok:
            models = to_py(await response.json()).get("model_list")
            if isinstance(models, list):
                return models
    except Exception as exc:  # noqa: BLE001 - the module has the same list
        window.console.warn(f"{PREBUILT_URL}: {exc}")
    return to_py((await webllm.module()).prebuiltAppConfig.model_list) or []


async def _server_presets() -> ServerPresets:
    try:
        response = await fetch(PRESETS_URL)
        data = to_py(await response.json()) if response.ok else {}
    except Exception:  # noqa: BLE001 - offline or no server: the built-in presets remain
        return ServerPresets()
    if not isinstance(data, dict):
        return ServerPresets()
    return ServerPresets(
        mirror=str(data.get("mirrorBaseUrl") or ""),
        presets=[p for p in data.get("presets") or [] if isinstance(p, dict)],
        errors=[e for e in data.get("errors") or [] if isinstance(e, dict)],
    )


class ModelLists:
    """Both requests, started on creation (they run while the caller goes on)."""

    def __init__(self) -> None:
        self.prebuilt: asyncio.Future[list[Any]] = asyncio.ensure_future(_prebuilt())
        self.server: asyncio.Future[ServerPresets] = asyncio.ensure_future(_server_presets())
