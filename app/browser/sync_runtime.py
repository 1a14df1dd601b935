"""Runs the outbox's ``SyncWorker`` in the page: when to flush, one tab at a time, every tab told.

Triggers (DESIGN.md §3): an enqueue (:meth:`SyncRuntime.notify_enqueued`), the window's
``online`` event (after ``worker.wake()``), the page becoming visible, :meth:`login`, and one
``setTimeout`` for ``worker.next_wakeup()`` (never more than one pending; no polling). While
``navigator.onLine`` is false nothing is sent: the ``online`` event starts the next flush.

One tab flushes at a time: each flush runs inside the Web Lock ``character-chat-outbox``, taken
with ``ifAvailable`` (``tryLock`` in ``web/idb.js`` holds it until we release it). A tab that
finds it taken looks again a little later; the flushing tab's broadcast usually comes first.
A tab closing mid-flush loses nothing: the browser releases its lock, entries are deleted only
after the server acknowledged them, and a resent request is a replay the server deduplicates.

Every tab shows the state: after each flush and enqueue the tab posts ``OutboxState.to_dict()``
on the BroadcastChannel ``character-chat-outbox``; the others show it, then re-read the shared
store themselves (and re-arm their timer from it). Login and logout are broadcast too, so every
tab's worker pauses and resumes together (they share the cookie session).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from pyscript import document, window
from pyscript.ffi import create_proxy
from pyscript.js_modules import idb

from app.browser.jsbridge import absent, js_object, to_py
from app.outbox.ports import SystemClock
from app.outbox.state import OutboxState

if TYPE_CHECKING:
    from app.outbox.entries import Entry
    from app.outbox.ports import Clock
    from app.outbox.sync import SyncWorker

__all__ = ["CHANNEL_NAME", "LOCK_NAME", "SyncRuntime"]

LOCK_NAME = "character-chat-outbox"
CHANNEL_NAME = "character-chat-outbox"
MIN_DELAY_S = 1.0
"""The timer never fires sooner than this after it is armed (no tight loops)."""
BUSY_RETRY_S = 3.0
"""Another tab holds the flush lock: look again after this (its broadcast usually comes first)."""
ERROR_RETRY_S = 30.0
"""A flush failed locally (the database, a bug): try again after this."""
MAX_DELAY_S = 3600.0
"""Re-read the store at least this often, whatever ``next_wakeup`` says (clock changes)."""


class SyncRuntime:
    """Flushes ``worker`` on the page's triggers and keeps ``on_state`` current in every tab.

    Call :meth:`start` once; :meth:`close` undoes it (listeners, timer, channel, proxies).
    """

    def __init__(
        self,
        worker: SyncWorker,
        on_state: Callable[[OutboxState], None],
        *,
        clock: Clock | None = None,
    ) -> None:
        self.worker = worker
        self._on_state = on_state
        self._clock = clock or SystemClock()
        self._wanted = False
        self._flushing: asyncio.Future[None] | None = None
        self._timer: Any = None
        self._tasks: set[asyncio.Future[Any]] = set()
        self._listeners: list[tuple[Any, str, Any]] = []
        self._channel: Any = None
        self._timer_proxy = create_proxy(self._on_timer)
        self._proxies: list[Any] = [self._timer_proxy]
        self._closed = False
        self._shown = OutboxState()
        self._enqueues = 0
        """Counts :meth:`notify_enqueued` calls: a state read before the latest one is stale."""
        self.on_auth: Callable[[bool, dict[str, Any] | None], None] | None = None
        """Told when another tab logs in (``True`` and the user, ``{"id", "username"}``) or out
        (``False, None``)."""

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        """Listen to the triggers and the other tabs, then flush what waits from last time."""
        if not absent(getattr(window, "BroadcastChannel", None)):
            self._channel = window.BroadcastChannel.new(CHANNEL_NAME)
            proxy = create_proxy(self._on_message)
            self._proxies.append(proxy)
            self._channel.onmessage = proxy
        self._listen(window, "online", self._on_online)
        self._listen(document, "visibilitychange", self._on_visibility)
        self.request_flush()

    def close(self) -> None:
        """Stop listening and release every proxy (a flush in progress still finishes)."""
        self._closed = True
        self._disarm()
        for target, event, proxy in self._listeners:
            target.removeEventListener(event, proxy)
        self._listeners.clear()
        if self._channel is not None:
            self._channel.onmessage = None
            self._channel.close()
            self._channel = None
        for proxy in self._proxies:
            proxy.destroy()
        self._proxies.clear()

    def _listen(self, target: Any, event: str, handler: Callable[[Any], None]) -> None:
        proxy = create_proxy(handler)
        self._proxies.append(proxy)
        self._listeners.append((target, event, proxy))
        target.addEventListener(event, proxy)

    # -- what the page calls --------------------------------------------------------------------

    def notify_enqueued(self) -> None:
        """Something was enqueued (``save_messages`` returned keys): tell the tabs, flush.

        The indicator leaves "synced" at once, before the store is re-read: it never says
        synced while a message waits to be sent.
        """
        self._enqueues += 1
        self._show(replace(self._shown, waiting=self._shown.waiting + 1, paused=self.worker.paused))
        self._spawn(self._refresh(broadcast=True, arm=False))
        self.request_flush()

    async def login(self, user: dict[str, Any] | None = None) -> None:
        """``user`` logged in: resume sending here and in the other tabs, flush now."""
        self.worker.resume()
        self._post({"type": "auth", "loggedIn": True, "user": user})
        await self.flush_now()

    async def logout(self) -> None:
        """The user logged out: stop sending here and in the other tabs (entries keep waiting)."""
        self.worker.pause()
        self._disarm()
        self._post({"type": "auth", "loggedIn": False, "user": None})
        await self._refresh(broadcast=True, arm=False)

    async def retry(self, key: str) -> bool:
        """Put a failed entry back in the queue and flush; False when the key is unknown."""
        found = await self.worker.retry(key)
        if found:
            await self._refresh(broadcast=True, arm=False)
            self.request_flush()
        return found

    async def discard(self, key: str) -> bool:
        """Give up on an entry for good; False when the key is unknown."""
        found = await self.worker.discard(key)
        if found:
            await self._refresh(broadcast=True, arm=False)
        return found

    async def failed_entries(self) -> list[Entry]:
        """The entries the server refused, with ``last_error`` saying why."""
        return await self.worker.failed_entries()

    async def state(self) -> OutboxState:
        """The outbox summary as this tab reads it from the shared store."""
        return await self.worker.state()

    def request_flush(self) -> None:
        """Flush soon (now, or right after the flush in progress)."""
        if self._closed:
            return
        self._wanted = True
        if self._flushing is None or self._flushing.done():
            self._flushing = self._spawn(self._flush_loop())

    async def flush_now(self) -> None:
        """Request a flush and wait until this tab's flushing is done (tests, login)."""
        self.request_flush()
        if self._flushing is not None:
            await asyncio.shield(self._flushing)

    # -- flushing -------------------------------------------------------------------------------

    async def _flush_loop(self) -> None:
        while self._wanted:
            self._wanted = False
            if not bool(window.navigator.onLine) or self.worker.paused:
                # Offline: the `online` event flushes. Paused: login() does. A request that
                # came in during the refresh (login, online) loops again instead of being lost.
                await self._refresh(broadcast=False, arm=False)
                continue
            grant = await idb.tryLock(LOCK_NAME)
            if grant.ok and not grant.held:
                self._arm(self._clock.now() + BUSY_RETRY_S)  # another tab is flushing
                continue
            if not grant.ok:  # no lock to be had: flush anyway, the server deduplicates
                window.console.warn(f"outbox lock unavailable: {grant.name}: {grant.message}")
            enqueues = self._enqueues
            try:
                result = await self.worker.flush()
            except Exception as exc:  # noqa: BLE001 - keep the page alive, retry later
                window.console.warn(f"outbox flush failed: {exc!r}")
                self._arm(self._clock.now() + ERROR_RETRY_S)
                continue
            finally:
                if grant.ok:
                    grant.release()
            if enqueues == self._enqueues:  # else that enqueue's refresh and flush report
                self._show(result.state)
                self._post({"type": "state", "state": result.state.to_dict()})
            self._arm(result.next_wakeup)

    async def _refresh(self, *, broadcast: bool, arm: bool) -> None:
        """Re-read the store, show the state, optionally tell the tabs and re-arm the timer."""
        enqueues = self._enqueues
        try:
            state = await self.worker.state()
            wakeup = await self.worker.next_wakeup() if arm else None
        except Exception as exc:  # noqa: BLE001
            window.console.warn(f"outbox state unavailable: {exc!r}")
            return
        if enqueues == self._enqueues:  # else the newer enqueue's own refresh shows the truth
            self._show(state)
            if broadcast:
                self._post({"type": "state", "state": state.to_dict()})
        if arm and (self._flushing is None or self._flushing.done()):
            self._arm(wakeup)

    def _show(self, state: OutboxState) -> None:
        self._shown = state
        try:
            self._on_state(state)
        except Exception as exc:  # noqa: BLE001 - a UI bug must not stop the outbox
            window.console.warn(f"outbox state display failed: {exc!r}")

    # -- the timer ------------------------------------------------------------------------------

    def _arm(self, when: float | None) -> None:
        """Keep one timer, for ``when`` (clock time); none when ``when`` is ``None``."""
        self._disarm()
        if when is None or self._closed:
            return
        delay = min(max(when - self._clock.now(), MIN_DELAY_S), MAX_DELAY_S)
        self._timer = window.setTimeout(self._timer_proxy, int(delay * 1000))

    def _disarm(self) -> None:
        if self._timer is not None:
            window.clearTimeout(self._timer)
            self._timer = None

    def _on_timer(self, *_args: Any) -> None:
        self._timer = None
        self.request_flush()

    # -- events ---------------------------------------------------------------------------------

    def _on_online(self, _event: Any) -> None:
        self._spawn(self._wake())

    async def _wake(self) -> None:
        try:
            await self.worker.wake()
        except Exception as exc:  # noqa: BLE001
            window.console.warn(f"outbox wake failed: {exc!r}")
        self.request_flush()

    def _on_visibility(self, _event: Any) -> None:
        if str(document.visibilityState) == "visible":
            self.request_flush()

    def _on_message(self, event: Any) -> None:
        message = to_py(event.data)
        if not isinstance(message, dict):
            return
        if message.get("type") == "auth":
            if message.get("loggedIn"):
                self.worker.resume()
            else:
                self.worker.pause()
                self._disarm()
            if self.on_auth is not None:
                user = message.get("user")
                self.on_auth(
                    bool(message.get("loggedIn")), user if isinstance(user, dict) else None
                )
            self._spawn(self._refresh(broadcast=False, arm=True))
        elif message.get("type") == "state" and isinstance(message.get("state"), dict):
            try:
                remote = OutboxState.from_dict(message["state"])
            except (TypeError, ValueError):
                return
            # Counts are shared; being paused is per tab (until the auth broadcast arrives).
            self._show(replace(remote, paused=self.worker.paused))
            self._spawn(self._refresh(broadcast=False, arm=True))

    # -- plumbing -------------------------------------------------------------------------------

    def _post(self, message: dict[str, Any]) -> None:
        if self._channel is not None and not self._closed:
            self._channel.postMessage(js_object(message))

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> asyncio.Future[None]:
        """Run a coroutine from an event handler, keeping a reference until it ends."""
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task
