"""Which models can run on this device, why not, and which one to recommend.

WebGPU does not reveal VRAM, so the check is a heuristic from what the browser does reveal:
``shader-f16`` support, the adapter's ``maxBufferSize``, ``navigator.deviceMemory`` (RAM in GB,
capped at 8 by browsers) and whether the adapter is a software fallback.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from app.gpu import GpuReport
from app.presets import needs_f16

__all__ = ["ModelChoice", "StorageCheck", "assess_models", "recommend", "storage_check"]

#: Preferred for a character chat, best first; q4f16 where the GPU can, q4f32 otherwise.
_FAVOURITES = ("Qwen3-8B", "Qwen3-4B", "Qwen3-1.7B", "Qwen3-0.6B")
#: WebLLM's ``ModelType.embedding``.
_EMBEDDING = 1


@dataclass(frozen=True)
class ModelChoice:
    """One row of the model picker."""

    model_id: str
    vram_mb: float
    needs_f16: bool
    available: bool
    reason_key: str | None
    """Catalogue key saying why the model cannot run here (None when it can)."""
    low_resource: bool = False


def _reason(
    record: Mapping[str, Any], report: GpuReport, device_memory_gb: float | None
) -> str | None:
    if not report.usable:
        return "model.reason.no_webgpu"
    if needs_f16(record) and not report.has_f16:
        return "model.reason.needs_f16"
    buffer_needed = int(record.get("buffer_size_required_bytes") or 0)
    if report.max_buffer_size and buffer_needed > report.max_buffer_size:
        return "model.reason.buffer"
    vram = float(record.get("vram_required_MB") or 0)
    if (
        device_memory_gb is not None
        and device_memory_gb < 8
        and vram > device_memory_gb * 1024 * 0.75
    ):
        return "model.reason.vram"
    return None


def assess_models(
    records: Iterable[Mapping[str, Any]], report: GpuReport, device_memory_gb: float | None = None
) -> list[ModelChoice]:
    """Every chat model with its verdict for this device (embedding models are not chat models)."""
    choices = []
    for record in records:
        if record.get("model_type") == _EMBEDDING:
            continue
        reason = _reason(record, report, device_memory_gb)
        choices.append(
            ModelChoice(
                model_id=str(record["model_id"]),
                vram_mb=float(record.get("vram_required_MB") or 0),
                needs_f16=needs_f16(record),
                available=reason is None,
                reason_key=reason,
                low_resource=bool(record.get("low_resource_required")),
            )
        )
    return choices


def recommend(
    choices: Iterable[ModelChoice], report: GpuReport, device_memory_gb: float | None = None
) -> str | None:
    """The favourite that runs here within a comfortable memory budget."""
    by_id = {choice.model_id: choice for choice in choices if choice.available}
    if not by_id:
        return None
    budget_mb = (device_memory_gb * 1024 * 0.6) if device_memory_gb else 6000.0
    if report.is_fallback:
        budget_mb = 0.0  # software rendering: the smallest model is already slow
    quant = "q4f16_1" if report.has_f16 else "q4f32_1"
    candidates = [
        by_id[f"{name}-{quant}-MLC"] for name in _FAVOURITES if f"{name}-{quant}-MLC" in by_id
    ]
    for choice in candidates:
        if choice.vram_mb <= budget_mb:
            return choice.model_id
    if candidates:
        return candidates[-1].model_id
    return min(by_id.values(), key=lambda choice: choice.vram_mb).model_id


PERSIST_ABOVE = 512 * 2**20
"""Downloads larger than this ask the browser to keep the site's storage (no eviction)."""


@dataclass(frozen=True)
class StorageCheck:
    """Before a download: warn that it may not fit, and whether to ask for lasting storage."""

    warn: bool
    persist: bool
    need_gb: str
    free_gb: str


def storage_check(
    record: Mapping[str, Any], *, free: float | None, cached: bool, confirmed: bool
) -> StorageCheck:
    """Whether loading ``record``'s model needs a warning first: a download larger than the
    ``free`` bytes the browser reports, not yet confirmed by the user (asking again loads)."""
    need = 0.0 if cached else float(record.get("vram_required_MB") or 0) * 2**20
    warn = free is not None and need > free and not confirmed
    free_gb = f"{(free or 0) / 2**30:.1f}"
    return StorageCheck(warn, not warn and need > PERSIST_ABOVE, f"{need / 2**30:.1f}", free_gb)
