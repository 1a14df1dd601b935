"""The engine banner above the chat: another tab has the model ("Use it here"), or loading or
generating failed (with "Load" again where trying again can help, and "Choose a model").

Its buttons share one delegated listener, however often the banner is drawn."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.browser.dom import by_id, delegate, element
from app.engine_errors import EngineError
from app.engine_state import Notice
from app.i18n import Translate

__all__ = ["EngineBanner"]


class EngineBanner:
    """``#engine-banner``; ``use_here``, ``load`` (a model id) and ``choose`` are its buttons."""

    def __init__(
        self,
        t: Translate,
        *,
        use_here: Callable[[], Any],
        load: Callable[[str], Any],
        choose: Callable[[], Any],
    ) -> None:
        self.t = t
        self.node = by_id("engine-banner")
        self._retry: str | None = None
        delegate(
            self.node,
            {
                "use-here": lambda _id, _target: use_here(),
                "retry": lambda _id, _target: load(self._retry) if self._retry else None,
                "choose": lambda _id, _target: choose(),
            },
        )

    def _fresh(self, kind: str, state: str) -> Any:
        self.node.replaceChildren()
        self.node.className = f"notice {kind}"
        self.node.setAttribute("data-state", state)
        self.node.hidden = False
        return self.node

    def _button(self, key: str, action: str) -> Any:
        return element("button", self.t(key), classes=(action,), type="button", data_action=action)

    def notice(self, notice: Notice) -> None:
        """Another tab runs the model (or it just moved there)."""
        banner = self._fresh("warning", notice.value)
        banner.appendChild(element("p", self.t(notice.key)))
        banner.appendChild(self._button("engine.use_here", "use-here"))

    def error(self, error: EngineError, *, retry: str | None) -> None:
        """What went wrong, in words, and what the user can do next."""
        self._retry = retry
        banner = self._fresh("error", "error")
        banner.setAttribute("data-error", error.kind.value)
        banner.appendChild(element("p", self.t(error.message_key, detail=error.detail)))
        if retry is not None:
            banner.appendChild(self._button("model.load", "retry"))
        banner.appendChild(self._button("model.choose", "choose"))

    def hide(self) -> None:
        """No notice."""
        self.node.hidden = True
