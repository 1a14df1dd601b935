"""One tab runs the model: a Web Lock held for as long as this tab owns the engine.

A second tab finds the lock taken and queues for it, offering "use it here", which asks the
holder over a BroadcastChannel to let go. The holder unloads its engine and answers "released"
to the tab that asked, which then takes the lock with ``steal``: with three or more tabs the
model goes to the one whose user asked, not to whichever queued first. (If the asker never
takes it, the holder lets go after :data:`HANDOVER_S` and the queue decides.) Closing a tab
releases its lock by itself (the browser does it), so a waiting tab takes over.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from pyscript import window
from pyscript.ffi import create_proxy

from app.browser.dom import spawn
from app.browser.jsbridge import absent, js_object, to_py

__all__ = ["EngineLock"]

LOCK_NAME = "character-chat-engine"
CHANNEL_NAME = "character-chat-engine"
HANDOVER_S = 5.0
"""How long a holder that let go waits for the asking tab to take the lock."""


class EngineLock:
    """Holds (or waits for) the engine lock and answers takeover requests."""

    def __init__(self, on_release_requested: Callable[[], Awaitable[None]]) -> None:
        self.held = False
        self.tab_id = str(window.crypto.randomUUID())
        self._release: Any = None
        self._lost: asyncio.Future[None] | None = None
        self._queued: Any = None
        """The AbortController of this tab's place in the queue, if it has one."""
        self._on_release_requested = on_release_requested
        self._channel = window.BroadcastChannel.new(CHANNEL_NAME)
        self._channel.onmessage = create_proxy(self._on_message)
        self._proxies: list[Any] = []
        self._handed_over: asyncio.Future[None] | None = None
        self._stealing: asyncio.Future[bool] | None = None

    def _on_message(self, event: Any) -> None:
        try:
            message = to_py(event.data) or {}
        except ValueError:
            return
        if not isinstance(message, dict):
            return
        if message.get("type") == "release" and self.held:
            spawn(self._give_up(str(message.get("by") or "")))
        elif message.get("type") == "released" and message.get("to") == self.tab_id:
            if self._handed_over is not None and not self._handed_over.done():
                self._handed_over.set_result(None)

    async def _give_up(self, asker: str) -> None:
        """Unload for ``asker``, tell it, and let it steal the lock; release if it does not."""
        await self._on_release_requested()
        self.held = False
        if not asker:  # an older tab asked: let the queue decide
            self.release()
            return
        lost = self._lost
        self._channel.postMessage(js_object({"type": "released", "to": asker}))
        try:
            if lost is not None:
                await asyncio.wait_for(asyncio.shield(lost), HANDOVER_S)
        except TimeoutError:
            pass
        self.release()

    def _request(self, options: Any) -> asyncio.Future[bool]:
        """Ask for the lock with these (JS) options; the future says whether we got it (False
        with ``ifAvailable``, or when the request was aborted)."""
        outcome: asyncio.Future[bool] = asyncio.get_event_loop().create_future()
        lost: asyncio.Future[None] = asyncio.get_event_loop().create_future()

        def granted(lock: Any) -> Any:
            if absent(lock):
                outcome.set_result(False)
                return None

            def hold(resolve: Any, _reject: Any) -> None:
                self._release = resolve

            promise = window.Promise.new(create_proxy(hold))
            self.held = True
            self._lost = lost
            if not outcome.done():
                outcome.set_result(True)
            return promise

        def ended(_value: Any = None) -> None:
            """The request settled: released, stolen by the asking tab, or aborted."""
            if not lost.done():
                lost.set_result(None)
            if not outcome.done():
                outcome.set_result(False)

        callback = create_proxy(granted)
        on_end = create_proxy(ended)
        self._proxies += [callback, on_end]
        window.navigator.locks.request(LOCK_NAME, options, callback).then(on_end, on_end)
        return outcome

    async def try_acquire(self) -> bool:
        """Take the lock if no other tab has it."""
        if self.held:
            return True
        return await self._request(js_object({"ifAvailable": True}))

    async def wait_acquire(self) -> None:
        """Queue for the lock; returns once this tab holds it (by its turn, or a handover)."""
        if self.held:
            return
        controller = window.AbortController.new()
        self._queued = controller
        options = js_object({})
        options.signal = controller.signal
        got = await self._request(options)
        if self._queued is controller:
            self._queued = None
        if not got and self._stealing is not None:  # left the queue to take it directly
            await asyncio.shield(self._stealing)

    def request_release(self) -> None:
        """Ask whichever tab holds the lock to hand it to this tab; take it when it answers."""
        handed_over: asyncio.Future[None] = asyncio.get_event_loop().create_future()
        self._handed_over = handed_over
        spawn(self._take_when_handed_over(handed_over))
        self._channel.postMessage(js_object({"type": "release", "by": self.tab_id}))

    async def _take_when_handed_over(self, handed_over: asyncio.Future[None]) -> None:
        await handed_over
        if self.held:
            return
        stealing: asyncio.Future[bool] = self._request(js_object({"steal": True}))
        self._stealing = stealing
        queued, self._queued = self._queued, None
        if queued is not None:
            queued.abort()  # our place in the queue: the lock comes to us directly instead
        await stealing

    def release(self) -> None:
        """Let another tab have the engine."""
        if self._release is not None:
            self._release()
        self._release = None
        self.held = False
