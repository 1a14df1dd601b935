"""One tab runs the model: a Web Lock held for as long as this tab owns the engine.

A second tab finds the lock taken and queues for it, offering "use it here", which asks the
holder over a BroadcastChannel to let go. The holder unloads its engine and releases.
Closing a tab releases its lock by itself (the browser does it), so a waiting tab takes over.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from pyscript import window
from pyscript.ffi import create_proxy

from app.browser.jsbridge import absent, js_object, to_py

__all__ = ["EngineLock"]

LOCK_NAME = "character-chat-engine"
CHANNEL_NAME = "character-chat-engine"


class EngineLock:
    """Holds (or waits for) the engine lock and answers takeover requests."""

    def __init__(self, on_release_requested: Callable[[], Awaitable[None]]) -> None:
        self.held = False
        self._release: Any = None
        self._on_release_requested = on_release_requested
        self._channel = window.BroadcastChannel.new(CHANNEL_NAME)
        self._channel.onmessage = create_proxy(self._on_message)
        self._proxies: list[Any] = []

    def _on_message(self, event: Any) -> None:
        message = to_py(event.data) or {}
        if message.get("type") == "release" and self.held:
            asyncio.ensure_future(self._give_up())

    async def _give_up(self) -> None:
        await self._on_release_requested()
        self.release()

    def _request(self, options: dict[str, Any]) -> asyncio.Future[bool]:
        """Ask for the lock; the future says whether we got it (False only with ifAvailable)."""
        outcome: asyncio.Future[bool] = asyncio.get_event_loop().create_future()

        def granted(lock: Any) -> Any:
            if absent(lock):
                outcome.set_result(False)
                return None

            def hold(resolve: Any, _reject: Any) -> None:
                self._release = resolve

            promise = window.Promise.new(create_proxy(hold))
            self.held = True
            if not outcome.done():
                outcome.set_result(True)
            return promise

        callback = create_proxy(granted)
        self._proxies.append(callback)
        window.navigator.locks.request(LOCK_NAME, js_object(options), callback)
        return outcome

    async def try_acquire(self) -> bool:
        """Take the lock if no other tab has it."""
        if self.held:
            return True
        return await self._request({"ifAvailable": True})

    async def wait_acquire(self) -> None:
        """Queue for the lock; returns once this tab holds it."""
        if not self.held:
            await self._request({})

    def request_release(self) -> None:
        """Ask whichever tab holds the lock to let go of it."""
        self._channel.postMessage(js_object({"type": "release"}))

    def release(self) -> None:
        """Let another tab have the engine."""
        if self._release is not None:
            self._release()
        self._release = None
        self.held = False
