"""The conversation in the DOM: messages, the streaming reply and the composer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.browser.dom import by_id, element
from app.markdown import render_markdown

__all__ = ["ChatView", "StreamingReply"]

Translate = Callable[..., str]


class StreamingReply:
    """An assistant message being written: plain text while streaming, markdown when done."""

    def __init__(self, node: Any, body: Any) -> None:
        self.node = node
        self._body = body
        self._text_node = body.appendChild(_text(""))
        self.text = ""

    def append(self, text: str) -> None:
        """Add what arrived this frame (one DOM write per frame, however many tokens)."""
        if text:
            self.text += text
            self._text_node.appendData(text)

    def finish(self, *, stats: str = "", state: str = "done") -> None:
        """Render the final text as safe markdown and show the generation stats."""
        self._body.innerHTML = render_markdown(self.text)
        self.node.setAttribute("data-state", state)
        if stats:
            self.node.appendChild(element("div", stats, classes=("stats",)))


def _text(value: str) -> Any:
    from pyscript import document

    return document.createTextNode(value)


class ChatView:
    """Appends messages to ``#chat`` and keeps the newest in view."""

    def __init__(self, t: Translate) -> None:
        self.t = t
        self.root = by_id("chat")

    def clear(self) -> None:
        """Remove every message (and the loading skeleton)."""
        self.root.replaceChildren()

    def add(self, role: str, text: str, *, markdown: bool = True) -> Any:
        """A finished message; user text is shown as typed, replies as safe markdown."""
        node = element("article", classes=("message", role), data_role=role, data_state="done")
        body = element("div", classes=("content",))
        if markdown:
            body.innerHTML = render_markdown(text)
        else:
            body.textContent = text
        node.appendChild(body)
        self.root.appendChild(node)
        self.scroll()
        return node

    def start_reply(self) -> StreamingReply:
        """An empty assistant message that the stream fills in."""
        node = element(
            "article",
            classes=("message", "assistant"),
            data_role="assistant",
            data_state="streaming",
        )
        body = element("div", classes=("content",))
        node.appendChild(body)
        self.root.appendChild(node)
        self.scroll()
        return StreamingReply(node, body)

    def scroll(self) -> None:
        """Keep the newest message visible."""
        self.root.scrollTop = self.root.scrollHeight
