"""Every user-visible string, in English and Korean, in one catalogue."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["CATALOGUE", "LANGUAGES", "pick_language", "translate"]

LANGUAGES = ("en", "ko")

CATALOGUE: dict[str, dict[str, str]] = {
    "app.title": {"en": "Character Chat", "ko": "캐릭터 채팅"},
    "status.booting": {"en": "Loading the Python runtime…", "ko": "파이썬 런타임을 불러오는 중…"},
    "status.ready": {"en": "Ready", "ko": "준비됨"},
    "gpu.checking": {"en": "Checking WebGPU…", "ko": "WebGPU 확인 중…"},
    "gpu.adapter": {
        "en": "WebGPU adapter found: {description}",
        "ko": "WebGPU 어댑터 발견: {description}",
    },
    "gpu.f16.yes": {"en": "shader-f16 supported", "ko": "shader-f16 지원"},
    "gpu.f16.no": {
        "en": "shader-f16 missing: only f32 models (q4f32, q0f32) can run here",
        "ko": "shader-f16 미지원: 이 기기에서는 f32 모델(q4f32, q0f32)만 실행할 수 있습니다",
    },
    "gpu.software": {
        "en": "This is a software adapter; models will run very slowly.",
        "ko": "소프트웨어 어댑터입니다. 모델이 매우 느리게 실행됩니다.",
    },
    "gpu.unavailable": {"en": "WebGPU unavailable", "ko": "WebGPU를 사용할 수 없음"},
    "gpu.no_api": {
        "en": "This browser does not expose WebGPU, so the model cannot run on this device.",
        "ko": "이 브라우저는 WebGPU를 제공하지 않아 이 기기에서 모델을 실행할 수 없습니다.",
    },
    "gpu.no_adapter": {
        "en": "WebGPU is present but no GPU adapter was granted.",
        "ko": "WebGPU는 있지만 GPU 어댑터를 받지 못했습니다.",
    },
    "gpu.guide.ios_safari": {
        "en": "On iPhone or iPad: open Settings > Safari > Advanced > Feature Flags, switch "
        "WebGPU on, then reload this page.",
        "ko": "iPhone·iPad: 설정 > Safari > 고급 > Feature Flags에서 WebGPU를 켠 뒤 "
        "이 페이지를 새로고침하세요.",
    },
    "gpu.guide.ios_old": {
        "en": "This needs iOS 18 / Safari 18 or later. After updating, open Settings > Safari > "
        "Advanced > Feature Flags (older: Experimental Features), switch WebGPU on, then reload.",
        "ko": "iOS 18 / Safari 18 이상이 필요합니다. 업데이트 후 설정 > Safari > 고급 > "
        "Feature Flags(이전 버전: Experimental Features)에서 WebGPU를 켜고 새로고침하세요.",
    },
    "gpu.guide.safari_mac": {
        "en": "Use Safari 18 or later; if WebGPU is off, enable it under Develop > Feature Flags "
        "and reload.",
        "ko": "Safari 18 이상을 사용하세요. WebGPU가 꺼져 있다면 개발자용 > Feature Flags에서 켜고 "
        "새로고침하세요.",
    },
    "gpu.guide.firefox": {
        "en": "Firefox enables WebGPU only on some systems. Try a current Chrome or Edge, or "
        "enable dom.webgpu.enabled in about:config and reload.",
        "ko": "Firefox는 일부 환경에서만 WebGPU를 켭니다. 최신 Chrome·Edge를 쓰거나 about:config에서 "
        "dom.webgpu.enabled를 켜고 새로고침하세요.",
    },
    "gpu.guide.chromium": {
        "en": "Update Chrome or Edge to a current version and make sure hardware acceleration is "
        "on (Settings > System), then reload.",
        "ko": "Chrome·Edge를 최신 버전으로 업데이트하고 하드웨어 가속(설정 > 시스템)을 켠 뒤 "
        "새로고침하세요.",
    },
    "gpu.guide.no_adapter": {
        "en": "Your GPU may be blocked or busy. Turn on hardware acceleration, update the graphics "
        "driver, close other GPU-heavy tabs, then reload.",
        "ko": "GPU가 차단되었거나 사용 중일 수 있습니다. 하드웨어 가속을 켜고 그래픽 드라이버를 "
        "업데이트하고 GPU를 많이 쓰는 탭을 닫은 뒤 새로고침하세요.",
    },
    "gpu.guide.other": {
        "en": "Open this page in a browser with WebGPU: Chrome or Edge 113+, or Safari 18+.",
        "ko": "WebGPU를 지원하는 브라우저(Chrome·Edge 113+, Safari 18+)에서 열어 주세요.",
    },
    "error.boot": {
        "en": "The app failed to start: {reason}. Reload the page to try again.",
        "ko": "앱을 시작하지 못했습니다: {reason}. 페이지를 새로고침해 다시 시도하세요.",
    },
}


def pick_language(preferred: Iterable[str]) -> str:
    """First supported language among the browser's (``navigator.languages``), else English."""
    for tag in preferred:
        base = tag.split("-")[0].lower()
        if base in LANGUAGES:
            return base
    return "en"


def translate(key: str, lang: str, /, **values: object) -> str:
    """The ``lang`` text for ``key`` with ``{placeholders}`` filled; English when untranslated."""
    texts = CATALOGUE[key]
    return texts.get(lang, texts["en"]).format(**values)
