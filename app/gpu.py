"""What the browser's WebGPU can do, and what to tell the user when it can't.

Detection is by capability (``navigator.gpu``, ``requestAdapter()``); the user agent is used only
to choose which guidance to show (Safari on iOS needs a feature flag switched on).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

__all__ = ["GpuReport", "GpuState", "Platform", "detect_platform", "guidance_key"]


class GpuState(StrEnum):
    """How far WebGPU got on this browser."""

    NO_API = "no-api"
    """``navigator.gpu`` is missing: the browser has no WebGPU, or it is switched off."""
    NO_ADAPTER = "no-adapter"
    """WebGPU exists but no adapter was granted (blocklisted GPU, disabled, headless)."""
    ADAPTER = "adapter"
    """An adapter is available; models can run."""


class Platform(StrEnum):
    """Which guidance fits the browser, from the user agent."""

    IOS_SAFARI = "ios-safari"
    IOS_OLD = "ios-old"
    SAFARI_MAC = "safari-mac"
    FIREFOX = "firefox"
    CHROMIUM = "chromium"
    OTHER = "other"


@dataclass(frozen=True)
class GpuReport:
    """The capability check's result, reduced to what the app decides on."""

    state: GpuState
    has_f16: bool = False
    """Whether the adapter offers ``shader-f16`` (needed by q4f16 models)."""
    description: str = ""
    """Vendor/architecture as the adapter reports it (may be empty for privacy)."""
    features: frozenset[str] = field(default_factory=frozenset)
    max_buffer_size: int = 0
    max_storage_buffer_binding_size: int = 0
    is_fallback: bool = False
    """A software adapter (e.g. SwiftShader): works, but very slowly."""

    @property
    def usable(self) -> bool:
        """True when a model can be loaded at all."""
        return self.state is GpuState.ADAPTER


_IOS = re.compile(r"\b(iPhone|iPad|iPod)\b.*\bOS (\d+)_")
_IPADOS_DESKTOP = re.compile(r"\bMacintosh\b.*\bVersion/(\d+)")


def detect_platform(user_agent: str, *, max_touch_points: int = 0) -> Platform:
    """Pick the guidance family for ``user_agent`` (iPadOS reports itself as a Mac)."""
    ios = _IOS.search(user_agent)
    if ios:
        return Platform.IOS_SAFARI if int(ios.group(2)) >= 18 else Platform.IOS_OLD
    mac_safari = _IPADOS_DESKTOP.search(user_agent)
    if mac_safari and "Chrome/" not in user_agent and "Firefox/" not in user_agent:
        if max_touch_points > 1:  # iPadOS in desktop mode
            return Platform.IOS_SAFARI if int(mac_safari.group(1)) >= 18 else Platform.IOS_OLD
        return Platform.SAFARI_MAC
    if "Firefox/" in user_agent:
        return Platform.FIREFOX
    if "Chrome/" in user_agent or "Chromium/" in user_agent or "Edg/" in user_agent:
        return Platform.CHROMIUM
    return Platform.OTHER


def guidance_key(report: GpuReport, platform: Platform) -> str | None:
    """The message catalogue key explaining how to get WebGPU, or None when it works."""
    if report.usable:
        return None
    if platform is Platform.IOS_OLD:
        return "gpu.guide.ios_old"
    if platform is Platform.IOS_SAFARI:
        return "gpu.guide.ios_safari"
    if report.state is GpuState.NO_ADAPTER:
        return "gpu.guide.no_adapter"
    return {
        Platform.SAFARI_MAC: "gpu.guide.safari_mac",
        Platform.FIREFOX: "gpu.guide.firefox",
        Platform.CHROMIUM: "gpu.guide.chromium",
    }.get(platform, "gpu.guide.other")
