"""The BroadcastChannel the page's tabs share about the outbox; what they say to each other
is ``app/outbox/tabs.py``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pyscript import window

from app.browser.dom import Listeners
from app.browser.jsbridge import absent, js_object, to_py
from app.outbox.tabs import AuthNews, StateNews, read_message

__all__ = ["CHANNEL_NAME", "OutboxChannel"]

CHANNEL_NAME = "character-chat-outbox"


class OutboxChannel:
    """Posts to the other tabs and hands what they post to ``on_news`` (a browser without
    BroadcastChannel has one tab's view only)."""

    def __init__(self, on_news: Callable[[AuthNews | StateNews], None]) -> None:
        self._on_news = on_news
        self._events = Listeners()
        self._channel: Any = None

    def open(self) -> None:
        """Start listening."""
        if self._channel is None and not absent(getattr(window, "BroadcastChannel", None)):
            self._channel = window.BroadcastChannel.new(CHANNEL_NAME)
            self._channel.onmessage = self._events.proxy(self._on_message)

    def _on_message(self, event: Any) -> None:
        news = read_message(to_py(event.data))
        if news is not None:
            self._on_news(news)

    def post(self, message: dict[str, Any]) -> None:
        """Tell the other tabs (not this one)."""
        if self._channel is not None:
            self._channel.postMessage(js_object(message))

    def close(self) -> None:
        """Stop listening and release the channel."""
        if self._channel is not None:
            self._channel.onmessage = None
            self._channel.close()
            self._channel = None
        self._events.close()
