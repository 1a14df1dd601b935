"""Ask the browser what WebGPU can do, without downloading anything."""

from __future__ import annotations

from typing import Any

from pyscript import window

from app.browser.jsbridge import absent
from app.gpu import GpuReport, GpuState

__all__ = ["probe_gpu"]


def _adapter_description(adapter: Any) -> tuple[str, bool]:
    info = getattr(adapter, "info", None)
    if absent(info):
        return "", bool(getattr(adapter, "isFallbackAdapter", False))
    parts = [
        str(getattr(info, name, "") or "") for name in ("vendor", "architecture", "description")
    ]
    text = " ".join(dict.fromkeys(p for p in parts if p))
    fallback = bool(getattr(info, "isFallbackAdapter", False)) or "swiftshader" in text.lower()
    return text, fallback


async def probe_gpu() -> GpuReport:
    """``navigator.gpu`` → ``requestAdapter()`` → features and limits."""
    gpu = getattr(window.navigator, "gpu", None)
    if absent(gpu):
        return GpuReport(GpuState.NO_API)
    try:
        adapter = await gpu.requestAdapter()
    except Exception:  # noqa: BLE001 - a refusal is reported as "no adapter"
        adapter = None
    if absent(adapter):
        return GpuReport(GpuState.NO_ADAPTER)
    features = frozenset(str(name) for name in adapter.features)
    description, fallback = _adapter_description(adapter)
    return GpuReport(
        GpuState.ADAPTER,
        has_f16="shader-f16" in features,
        description=description,
        features=features,
        max_buffer_size=int(adapter.limits.maxBufferSize),
        max_storage_buffer_binding_size=int(adapter.limits.maxStorageBufferBindingSize),
        is_fallback=fallback,
    )
