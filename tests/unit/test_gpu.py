"""Capability-first WebGPU guidance; the user agent only picks the wording."""

from __future__ import annotations

import pytest

from app.gpu import GpuReport, GpuState, Platform, detect_platform, guidance_key

IPHONE_18 = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
)
IPHONE_17 = IPHONE_18.replace("18_1", "17_5").replace("Version/18.1", "Version/17.5")
IPAD_DESKTOP = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.0 Safari/605.1.15"
)
CHROME = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/156.0.0.0 Safari/537.36"
)
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"


@pytest.mark.parametrize(
    ("ua", "touch", "expected"),
    [
        pytest.param(IPHONE_18, 5, Platform.IOS_SAFARI, id="iphone-ios18"),
        pytest.param(IPHONE_17, 5, Platform.IOS_OLD, id="iphone-ios17"),
        pytest.param(IPAD_DESKTOP, 5, Platform.IOS_SAFARI, id="ipad-desktop-mode"),
        pytest.param(IPAD_DESKTOP, 0, Platform.SAFARI_MAC, id="mac-safari"),
        pytest.param(CHROME, 0, Platform.CHROMIUM, id="chrome"),
        pytest.param(FIREFOX, 0, Platform.FIREFOX, id="firefox"),
        pytest.param("curl/8", 0, Platform.OTHER, id="other"),
    ],
)
def test_detect_platform(ua: str, touch: int, expected: Platform) -> None:
    assert detect_platform(ua, max_touch_points=touch) is expected


def test_working_adapter_needs_no_guidance_even_on_ios() -> None:
    report = GpuReport(GpuState.ADAPTER, has_f16=True)
    assert guidance_key(report, Platform.IOS_SAFARI) is None


@pytest.mark.parametrize(
    ("state", "platform", "key"),
    [
        pytest.param(GpuState.NO_API, Platform.IOS_SAFARI, "gpu.guide.ios_safari", id="ios-flag"),
        pytest.param(GpuState.NO_API, Platform.IOS_OLD, "gpu.guide.ios_old", id="ios-update"),
        pytest.param(GpuState.NO_API, Platform.FIREFOX, "gpu.guide.firefox", id="firefox"),
        pytest.param(GpuState.NO_API, Platform.CHROMIUM, "gpu.guide.chromium", id="chrome-old"),
        pytest.param(GpuState.NO_ADAPTER, Platform.CHROMIUM, "gpu.guide.no_adapter", id="blocked"),
        pytest.param(GpuState.NO_API, Platform.OTHER, "gpu.guide.other", id="other"),
    ],
)
def test_guidance_for_missing_webgpu(state: GpuState, platform: Platform, key: str) -> None:
    assert guidance_key(GpuReport(state), platform) == key
    assert not GpuReport(state).usable
