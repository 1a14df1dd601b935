"""Custom model presets from a JSON file, validated with the app's own rules.

``web/presets.json`` (or ``PRESETS_FILE``) lists extra WebLLM ModelRecords, e.g. a locally
built lib under ``/webllm-model-libs/``. The server validates every record with
:func:`app.presets.parse_preset` (the same code the page runs) and serves the valid ones, with
the reasons the others were refused, at ``/model-presets.json`` together with the mirror
setting. Not under ``/api``: the offline app shell may cache it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec
from litestar import get
from litestar.datastructures import CacheControlHeader

from app.presets import PresetError, parse_preset

if TYPE_CHECKING:
    from litestar.types import ControllerRouterHandler

    from server.settings import Settings

__all__ = ["ModelPresets", "PresetProblem", "load_presets", "presets_route"]


class PresetProblem(msgspec.Struct, rename="camel"):
    """Why one record of the presets file was refused."""

    index: int
    message: str


class ModelPresets(msgspec.Struct, rename="camel"):
    """What the page needs to build WebLLM's AppConfig beyond the prebuilt models."""

    presets: list[dict[str, Any]]
    errors: list[PresetProblem]
    mirror_base_url: str | None = None


@dataclass(frozen=True)
class _Loaded:
    presets: list[dict[str, Any]] = field(default_factory=list)
    errors: list[PresetProblem] = field(default_factory=list)


def load_presets(path: Path) -> _Loaded:
    """Read and validate ``path``; a missing file is no presets, a broken one an error."""
    if not path.is_file():
        return _Loaded()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return _Loaded(errors=[PresetProblem(-1, f"{path.name} is not valid JSON: {exc}")])
    records = raw.get("presets") if isinstance(raw, dict) else raw
    if not isinstance(records, list):
        return _Loaded(errors=[PresetProblem(-1, f"{path.name} must hold a list of presets.")])
    loaded = _Loaded()
    seen: set[str] = set()
    for index, record in enumerate(records):
        try:
            preset = parse_preset(record, origin="")
        except PresetError as exc:
            loaded.errors.append(PresetProblem(index, str(exc)))
            continue
        if preset["model_id"] in seen:
            loaded.errors.append(PresetProblem(index, f"Duplicate model_id {preset['model_id']}."))
            continue
        seen.add(preset["model_id"])
        loaded.presets.append(preset)
    return loaded


def presets_route(settings: Settings) -> ControllerRouterHandler:
    """``GET /model-presets.json``: read on each request, so editing the file needs no restart."""

    @get(
        "/model-presets.json",
        operation_id="modelPresets",
        tags=["models"],
        cache_control=CacheControlHeader(no_cache=True),
        sync_to_thread=False,
    )
    def model_presets() -> ModelPresets:
        """Validated custom presets (WebLLM ModelRecords), refusals, and the mirror base URL."""
        loaded = load_presets(settings.presets_file)
        return ModelPresets(loaded.presets, loaded.errors, settings.model_mirror_base_url or None)

    return model_presets
