"""The rendered slice of the open chat (``app/render_window.py`` decides which): markers above
and below it that render more as they near the view, and scrolling that follows a reply.

Scroll anchoring keeps the view still when messages are added or removed out of view; the
view is scrolled to the end once per animation frame, never by reading ``scrollHeight`` in
the middle of a task (that forces a layout of the whole chat there and then).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from pyscript import document, window
from pyscript.ffi import create_proxy

from app import render_window
from app.browser.dom import by_id, element
from app.browser.jsbridge import js_object
from app.models import Message
from app.render_window import Window

__all__ = ["ChatWindow"]


class ChatWindow:
    """Renders ``messages[window.start:window.end]`` into ``#chat`` with ``render``."""

    def __init__(self, render: Callable[[Message], Any]) -> None:
        self.root = by_id("chat")
        self._render = render
        self.messages: Sequence[Message] = ()
        self.window = Window(0, 0)
        self._scroll_pending = False
        self._scroll = create_proxy(self._scroll_now)
        self._watch = window.IntersectionObserver.new(
            create_proxy(self._on_marker),
            js_object({"root": self.root, "rootMargin": "600px 0px 600px 0px"}),
        )

    def show(self, messages: Sequence[Message]) -> None:
        """A chat just opened (or changed as a whole): its newest messages, at the end."""
        self.messages = messages
        self.window = render_window.newest(len(messages))
        page = document.createDocumentFragment()
        for message in messages[self.window.start : self.window.end]:
            page.appendChild(self._render(message))
        self.root.replaceChildren(page)
        self._place_markers()
        self.follow_end()

    def clear(self, placeholder: Any) -> None:
        """No chat: only ``placeholder``."""
        self.messages = ()
        self.window = Window(0, 0)
        self._watch.disconnect()
        self.root.replaceChildren(placeholder)

    def tail(self, messages: Sequence[Message], count: int) -> None:
        """The last ``count`` messages changed or are new: render them again (or add them) and
        follow the end; a view far up the chat jumps back to the end."""
        step = render_window.tail(self.window, len(messages), count)
        if step is None:
            self.show(messages)
            return
        for index in step.drop:
            node = self.node_of(self.messages[index].id)
            if node:
                node.remove()
        self.messages, self.window = messages, step.window
        for message in messages[-count:]:
            node = self._render(message)
            old = self.node_of(message.id)
            if old:
                old.replaceWith(node)
            else:
                self.root.appendChild(node)
        self._place_markers()
        self.follow_end()

    def rerender(self, messages: Sequence[Message], message_id: str) -> None:
        """One message again, in place (a swipe, an edit, a cancelled edit)."""
        self.messages = messages
        message = next((m for m in messages if m.id == message_id), None)
        old = self.node_of(message_id)
        if message is not None and old:
            old.replaceWith(self._render(message))

    def forget(self, messages: Sequence[Message], message_id: str) -> None:
        """A message was deleted: its node goes, the view stays where it is."""
        node = self.node_of(message_id)
        if node:
            node.remove()
        index = {m.id: i for i, m in enumerate(messages)}
        shown = self.root.querySelectorAll(":scope > article[data-id]")
        if not shown.length:
            self.show(messages)
            return
        first = index.get(str(shown.item(0).getAttribute("data-id")), 0)
        last = index.get(
            str(shown.item(shown.length - 1).getAttribute("data-id")), len(messages) - 1
        )
        self.messages, self.window = messages, Window(first, last + 1)
        if self.window.end == len(messages) and messages:
            self.tail(messages, 1)  # the new last reply offers "regenerate"
        self._place_markers()

    def node_of(self, message_id: str) -> Any:
        """The rendered ``<article>`` of a message (falsy when it is not rendered)."""
        return self.root.querySelector(f':scope > article[data-id="{message_id}"]')

    def follow_end(self) -> None:
        """Keep the newest text in view, once per frame."""
        if not self._scroll_pending:
            self._scroll_pending = True
            window.requestAnimationFrame(self._scroll)

    def _scroll_now(self, _time: Any = None) -> None:
        self._scroll_pending = False
        self.root.scrollTop = self.root.scrollHeight

    # -- sliding ----------------------------------------------------------------------------

    def _marker(self, side: str) -> Any:
        return self.root.querySelector(f":scope > .{side}")

    def _place_markers(self) -> None:
        """A marker above the window while older messages remain, one below while newer do."""
        self._watch.disconnect()
        for side, needed in (
            ("earlier", self.window.start > 0),
            ("later", self.window.end < len(self.messages)),
        ):
            marker = self._marker(side)
            if not needed:
                if marker:
                    marker.remove()
                continue
            if not marker:
                marker = element("div", classes=(side,), aria_hidden="true")
                if side == "earlier":
                    self.root.prepend(marker)
                else:
                    self.root.append(marker)
            self._watch.observe(marker)

    def _on_marker(self, entries: Any, _observer: Any = None) -> None:
        for entry in entries:
            if bool(entry.isIntersecting):
                self._slide(str(entry.target.className))
                return

    def _slide(self, side: str) -> None:
        total = len(self.messages)
        step = (
            render_window.earlier(self.window, total)
            if side == "earlier"
            else render_window.later(self.window, total)
        )
        if not step.add and not step.drop:
            return
        for index in step.drop:
            node = self.node_of(self.messages[index].id)
            if node:
                node.remove()
        page = document.createDocumentFragment()
        for index in step.add:
            page.appendChild(self._render(self.messages[index]))
        if side == "earlier":
            self._marker("earlier").after(page)
        else:
            self._marker("later").before(page)
        self.window = step.window
        self._place_markers()
