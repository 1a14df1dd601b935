"""The app shell in the DOM: status line, WebGPU badge and notices.

The HTML exists before Python starts (see ``web/index.html``); Python only fills it in.
``data-*`` attributes carry machine-readable state next to the human text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyscript import document, web, window

from app.browser.dom import element, on
from app.i18n import translate

if TYPE_CHECKING:
    from app.gpu import GpuReport

__all__ = ["Shell"]


def _add_close_buttons() -> None:
    """Give each sheet head its close button, declared once here rather than per dialog: the
    head's ``data-close`` is the button's value ("cancel" skips the form's validation)."""
    for head in document.querySelectorAll(".sheet-head[data-close]"):
        value = str(head.getAttribute("data-close"))
        button = element(
            "button",
            "\u2715",
            classes=("icon-button",),
            value=value,
            aria_label="Close",
            data_i18n_aria_label="app.close",
        )
        button.formNoValidate = value == "cancel"
        head.append(button)


class Shell:
    """Writes the boot and WebGPU state into the page in the user's language."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self._status: tuple[str, str, dict[str, object]] = ("status.booting", "booting", {})
        _add_close_buttons()
        self.apply_language(lang)

    def apply_language(self, lang: str) -> None:
        """Translate every ``data-i18n`` text and ``data-i18n-aria-label`` in the page."""
        self.lang = lang
        web.page.html.setAttribute("lang", lang)
        web.page.title = translate("app.title", lang)
        for node in document.querySelectorAll("[data-i18n]"):
            node.textContent = translate(str(node.getAttribute("data-i18n")), lang)
        for node in document.querySelectorAll("[data-i18n-aria-label]"):
            label = translate(str(node.getAttribute("data-i18n-aria-label")), lang)
            node.setAttribute("aria-label", label)
            if node.hasAttribute("title"):
                node.setAttribute("title", label)
        for node in document.querySelectorAll("[data-i18n-placeholder]"):
            hint = translate(str(node.getAttribute("data-i18n-placeholder")), lang)
            node.setAttribute("placeholder", hint)
        picker = document.getElementById("language")
        picker.value = lang
        picker.removeAttribute("disabled")
        key, state, values = self._status
        if state != "booting":
            self.status(key, state, **values)

    def t(self, key: str, **values: object) -> str:
        """Shorthand for the catalogue in this shell's language."""
        return translate(key, self.lang, **values)

    def status(self, key: str, state: str, **values: object) -> None:
        """Set the status line's text and its ``data-state``."""
        self._status = (key, state, values)
        element = web.page["status"]
        element.textContent = self.t(key, **values)
        element.setAttribute("data-state", state)

    def ready(self, *, model_count: int) -> None:
        """Python is up and WebLLM's model list was read."""
        self.status("status.ready", "ready")
        web.page["status"].setAttribute("data-models", str(model_count))

    def show_gpu(self, report: GpuReport, guidance_key: str | None) -> None:
        """Badge with the adapter and f16 support, or a notice explaining what to do."""
        badge = web.page["gpu-badge"]
        badge.setAttribute("data-webgpu", report.state.value)
        badge.setAttribute("data-f16", "yes" if report.has_f16 else "no")
        panel = web.page["gpu-panel"]
        if report.usable:
            f16 = self.t("gpu.f16.yes" if report.has_f16 else "gpu.f16.no")
            adapter = self.t("gpu.adapter", description=report.description or "WebGPU")
            badge.textContent = adapter
            badge.setAttribute("title", f16)
            lines = ([] if report.has_f16 else [f16]) + (
                [self.t("gpu.software")] if report.is_fallback else []
            )
            panel.innerHTML = ""
            panel.append(*(web.p(line) for line in lines))
            panel.className = "notice info"
            if not lines or window.sessionStorage.getItem("gpu-notice-dismissed"):
                panel.setAttribute("hidden", "")
                return
            close = web.button("\N{MULTIPLICATION SIGN}", classes=["dismiss"], type="button")
            close.setAttribute("aria-label", self.t("app.close"))
            on(close, "click", lambda _e: self._dismiss_gpu_notice())
            panel.append(close)
        else:
            badge.textContent = self.t("gpu.unavailable")
            reason = self.t("gpu.no_api" if report.state.value == "no-api" else "gpu.no_adapter")
            children = [web.h2(self.t("gpu.unavailable")), web.p(reason)]
            if guidance_key:
                children.append(web.p(self.t(guidance_key), classes=["guidance"]))
            panel.innerHTML = ""
            panel.append(*children)
            panel.className = "notice warning"
        panel.removeAttribute("hidden")

    def _dismiss_gpu_notice(self) -> None:
        window.sessionStorage.setItem("gpu-notice-dismissed", "1")
        web.page["gpu-panel"].setAttribute("hidden", "")
