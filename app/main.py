"""The page's entry point: fill in the shell, check WebGPU, start the controller.

Browser modules are imported inside :func:`main` so CPython can import this module in tests.
"""

from __future__ import annotations

from app.gpu import detect_platform, guidance_key
from app.i18n import pick_language
from app.markdown import render_markdown

__all__ = ["WELCOME", "main"]

WELCOME = {
    "en": "**Welcome.** Your characters talk through a language model that runs *on this "
    "device*, on its GPU. Nothing you write is sent anywhere for inference.",
    "ko": "**환영합니다.** 캐릭터는 *이 기기의 GPU*에서 실행되는 언어 모델로 대화합니다. "
    "추론을 위해 어디에도 전송되지 않습니다.",
}


async def main() -> None:
    """Boot the app; any failure becomes a readable status line, never a stack trace."""
    from pyscript import window
    from pyscript.js_modules import webllm

    from app.browser.controller import Controller
    from app.browser.gpu_probe import probe_gpu
    from app.browser.shell import Shell

    saved = window.localStorage.getItem("chat.lang")
    shell = Shell(pick_language([str(saved)] if saved else list(window.navigator.languages or [])))
    try:
        shell.status("gpu.checking", "checking")
        report = await probe_gpu()
        platform = detect_platform(
            str(window.navigator.userAgent), max_touch_points=int(window.navigator.maxTouchPoints)
        )
        guidance = guidance_key(report, platform)
        shell.show_gpu(report, guidance)
        shell.welcome(render_markdown(WELCOME[shell.lang]))
        controller = Controller(shell, report, guidance)
        await controller.start()
        shell.ready(model_count=len(webllm.prebuiltAppConfig.model_list))
    except Exception as exc:  # noqa: BLE001 - shown to the user instead of a traceback
        shell.status("error.boot", "error", reason=str(exc) or type(exc).__name__)
        window.console.warn(f"boot failed: {exc!r}")
