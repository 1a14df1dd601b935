"""Service worker registration and the "update available — reload" notice."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pyscript import window
from pyscript.ffi import create_proxy
from pyscript.js_modules import engine_glue

from app.browser.dom import by_id, element, on
from app.browser.jsbridge import absent, js_object
from app.i18n import Translate

__all__ = ["ServiceWorkerUpdates"]


class ServiceWorkerUpdates:
    """Registers ``/sw.js`` and tells the user when a new version is ready."""

    def __init__(self, t: Translate) -> None:
        self.t = t
        self.registration: Any = None
        self._proxies: list[Any] = []
        self._reloading = False

    async def start(self) -> None:
        """Register (no-op where service workers are unavailable, e.g. blocked in tests)."""
        container = getattr(window.navigator, "serviceWorker", None)
        if absent(container):
            return
        result = await engine_glue.settle(
            container, "register", "/sw.js", js_object({"scope": "/"})
        )
        if not result.ok or absent(result.value):
            window.console.warn(f"service worker not registered: {getattr(result, 'message', '')}")
            return
        self.registration = result.value
        self._listen(self.registration, "updatefound", self._on_update_found)
        self._listen(container, "controllerchange", self._on_controller_change)
        if not absent(self.registration.waiting) and not absent(container.controller):
            self._show()
        on(window.document, "visibilitychange", self._check_when_visible)

    def _listen(self, target: Any, event: str, handler: Callable[[Any], None]) -> None:
        proxy = create_proxy(handler)
        self._proxies.append(proxy)
        target.addEventListener(event, proxy)

    def _on_update_found(self, _event: Any) -> None:
        installing = self.registration.installing
        if absent(installing):
            return

        def changed(_evt: Any) -> None:
            if str(installing.state) == "installed" and not absent(
                window.navigator.serviceWorker.controller
            ):
                self._show()

        self._listen(installing, "statechange", changed)

    def _check_when_visible(self, _event: Any) -> None:
        if str(window.document.visibilityState) == "visible" and self.registration is not None:
            engine_glue.settle(self.registration, "update")

    def _show(self) -> None:
        banner = by_id("update-banner")
        banner.replaceChildren()
        banner.appendChild(element("p", self.t("update.available")))
        button = element(
            "button", self.t("update.reload"), classes=("use-here", "reload"), type="button"
        )
        on(button, "click", lambda _e: self.apply())
        banner.appendChild(button)
        banner.hidden = False

    def apply(self) -> None:
        """Activate the waiting version; the page reloads when it takes control."""
        waiting = self.registration.waiting if self.registration is not None else None
        if absent(waiting):
            window.location.reload()
            return
        waiting.postMessage(js_object({"type": "skip-waiting"}))

    def _on_controller_change(self, _event: Any) -> None:
        if not self._reloading and not by_id("update-banner").hidden:
            self._reloading = True
            window.location.reload()
