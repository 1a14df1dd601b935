"""Small DOM helpers on top of ``pyscript.web``: event wiring and element building."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from pyscript import document, window
from pyscript.ffi import create_proxy

__all__ = ["Listeners", "Timer", "by_id", "delegate", "element", "on", "show_notice", "spawn"]

_LISTENERS: list[Any] = []  # proxies must outlive the call that created them
_TASKS: set[asyncio.Task[Any]] = set()


def by_id(element_id: str) -> Any:
    """The raw DOM element with ``id`` (raw elements are cheaper on hot paths)."""
    return document.getElementById(element_id)


def spawn(coro: Awaitable[Any]) -> asyncio.Task[Any]:
    """Run a coroutine in the background, keeping a reference so it is not collected."""
    task = asyncio.ensure_future(coro)
    _TASKS.add(task)
    task.add_done_callback(_TASKS.discard)
    return task


def on(target: Any, event: str, handler: Callable[..., Any], *, prevent: bool = False) -> None:
    """``addEventListener`` for a sync or async Python handler.

    ``prevent`` calls ``preventDefault()`` before the handler: an async handler runs after the
    event has been dispatched, too late to stop e.g. a form submission.
    """

    def listener(evt: Any) -> None:
        if prevent:
            evt.preventDefault()
        result = handler(evt)
        if inspect.isawaitable(result):
            spawn(result)

    proxy = create_proxy(listener)
    _LISTENERS.append(proxy)
    raw = getattr(target, "_dom_element", target)
    raw.addEventListener(event, proxy)


def delegate(
    root: Any, handlers: dict[str, Callable[[str, Any], Any]], *, event: str = "click"
) -> None:
    """One listener on ``root`` for every ``[data-action]`` inside it, however often its
    content is re-rendered (a listener per rendered button would be a proxy kept forever).

    ``handlers[action](item_id, target)`` runs with the ``data-id`` of the nearest element
    that has one and the element carrying ``data-action``.
    """

    def dispatch(evt: Any) -> Any:
        closest = getattr(evt.target, "closest", None)
        target = closest("[data-action]") if closest is not None else None
        if not target or not root.contains(target):
            return None
        handler = handlers.get(str(target.getAttribute("data-action")))
        if handler is None:
            return None
        holder = target.closest("[data-id]")
        return handler(str(holder.getAttribute("data-id")) if holder else "", target)

    on(root, event, dispatch)


def show_notice(element_id: str, text: str | None, *, error: bool = False) -> None:
    """A sheet's message line: ``text`` as an error or as a note (``None``: hidden)."""
    box = by_id(element_id)
    box.textContent = text or ""
    box.className = "notice error" if error else "notice info"
    box.hidden = not text


def element(tag: str, text: str = "", *, classes: tuple[str, ...] = (), **attrs: str) -> Any:
    """A raw DOM element; ``data_x`` / ``aria_x`` keyword names become ``data-x`` / ``aria-x``."""
    node = document.createElement(tag)
    if text:
        node.textContent = text
    if classes:
        node.className = " ".join(classes)
    for name, value in attrs.items():
        node.setAttribute(name.rstrip("_").replace("_", "-"), value)
    return node


class Listeners:
    """Listeners and proxies that can all be let go again (:meth:`close`), for parts of the
    page that come and go; the page's own fixed wiring uses :func:`on`."""

    def __init__(self) -> None:
        self._added: list[tuple[Any, str, Any]] = []
        self._proxies: list[Any] = []

    def proxy(self, handler: Callable[..., Any]) -> Any:
        """A JS function for ``handler``, released by :meth:`close`."""
        proxy = create_proxy(handler)
        self._proxies.append(proxy)
        return proxy

    def add(self, target: Any, event: str, handler: Callable[[Any], Any]) -> None:
        """``addEventListener``, removed again by :meth:`close`."""
        proxy = self.proxy(handler)
        self._added.append((target, event, proxy))
        target.addEventListener(event, proxy)

    def close(self) -> None:
        """Remove every listener and release every proxy."""
        for target, event, proxy in self._added:
            target.removeEventListener(event, proxy)
        self._added.clear()
        for proxy in self._proxies:
            proxy.destroy()
        self._proxies.clear()


class Timer:
    """At most one pending ``setTimeout`` for ``callback`` (arming again replaces it)."""

    def __init__(self, callback: Callable[[], None], listeners: Listeners) -> None:
        self._callback = callback
        self._proxy = listeners.proxy(self._fire)
        self._handle: Any = None

    def arm(self, delay_ms: int) -> None:
        """Fire once, ``delay_ms`` from now (and not for an earlier arming)."""
        self.disarm()
        self._handle = window.setTimeout(self._proxy, delay_ms)

    def disarm(self) -> None:
        """Do not fire."""
        if self._handle is not None:
            window.clearTimeout(self._handle)
            self._handle = None

    def _fire(self, *_args: Any) -> None:
        self._handle = None
        self._callback()
