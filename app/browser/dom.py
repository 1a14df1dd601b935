"""Small DOM helpers on top of ``pyscript.web``: event wiring and element building."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from pyscript import document
from pyscript.ffi import create_proxy

__all__ = ["by_id", "delegate", "element", "on", "spawn"]

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
