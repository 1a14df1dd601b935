"""Runs the outbox's ``SyncWorker`` in the page: when to flush, one tab at a time, every tab told.

The triggers (an enqueue, ``online``, the page becoming visible, a login, one timer for
``worker.next_wakeup()``; never polling), the Web Lock that lets one tab flush and the
BroadcastChannel that tells the others are described in docs/architecture.md, "The outbox".
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from pyscript import document, window
from pyscript.js_modules import idb

from app.browser.dom import Listeners, Timer, spawn
from app.browser.outbox_channel import OutboxChannel
from app.outbox.ports import SystemClock
from app.outbox.state import OutboxState
from app.outbox.tabs import (
    BUSY_RETRY_S,
    ERROR_RETRY_S,
    AuthNews,
    StateNews,
    auth_message,
    state_message,
    timer_delay_ms,
)

if TYPE_CHECKING:
    from app.outbox.entries import Entry
    from app.outbox.ports import Clock
    from app.outbox.sync import SyncWorker

__all__ = ["LOCK_NAME", "SyncRuntime"]

LOCK_NAME = "character-chat-outbox"


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
        self._events = Listeners()
        self._channel = OutboxChannel(self._on_news)
        self._timer = Timer(self.request_flush, self._events)
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
        self._channel.open()
        self._events.add(window, "online", self._on_online)
        self._events.add(document, "visibilitychange", self._on_visibility)
        spawn(self._begin())

    async def _begin(self) -> None:
        """Show what waits from last time (the chip claims nothing until then), then send it."""
        await self._refresh(broadcast=False, arm=False)
        self.request_flush()

    def close(self) -> None:
        """Stop listening and release every proxy (a flush in progress still finishes)."""
        self._closed = True
        self._timer.disarm()
        self._channel.close()
        self._events.close()

    # -- what the page calls --------------------------------------------------------------------

    def notify_enqueued(self) -> None:
        """Something was enqueued (``save_messages`` returned keys): tell the tabs, flush.

        The indicator leaves "synced" at once, before the store is re-read: it never says
        synced while a message waits to be sent.
        """
        self._enqueues += 1
        self._show(replace(self._shown, waiting=self._shown.waiting + 1, paused=self.worker.paused))
        spawn(self._refresh(broadcast=True, arm=False))
        self.request_flush()

    async def login(self, user: dict[str, Any] | None = None) -> None:
        """``user`` logged in: resume sending here and in the other tabs, flush now."""
        self.worker.resume()
        self._post(auth_message(logged_in=True, user=user))
        await self.flush_now()

    async def logout(self) -> None:
        """The user logged out: stop sending here and in the other tabs (entries keep waiting)."""
        self.worker.pause()
        self._timer.disarm()
        self._post(auth_message(logged_in=False, user=None))
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
            self._flushing = spawn(self._flush_loop())

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
                if grant.ok:  # awaited: the next flush here must find the lock free
                    await grant.release()
            if enqueues == self._enqueues:  # else that enqueue's refresh and flush report
                self._show(result.state)
                self._post(state_message(result.state))
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
                self._post(state_message(state))
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
        self._timer.disarm()
        delay = timer_delay_ms(when, self._clock.now())
        if delay is not None and not self._closed:
            self._timer.arm(delay)

    # -- events ---------------------------------------------------------------------------------

    def _on_online(self, _event: Any) -> None:
        spawn(self._wake())

    async def _wake(self) -> None:
        try:
            await self.worker.wake()
        except Exception as exc:  # noqa: BLE001
            window.console.warn(f"outbox wake failed: {exc!r}")
        self.request_flush()

    def _on_visibility(self, _event: Any) -> None:
        if str(document.visibilityState) == "visible":
            self.request_flush()

    def _on_news(self, news: AuthNews | StateNews) -> None:
        if isinstance(news, AuthNews):
            if news.logged_in:
                self.worker.resume()
            else:
                self.worker.pause()
                self._timer.disarm()
            if self.on_auth is not None:
                self.on_auth(news.logged_in, news.user)
        else:  # counts are shared; being paused is per tab (until the auth news comes)
            self._show(replace(news.state, paused=self.worker.paused))
        spawn(self._refresh(broadcast=False, arm=True))

    # -- plumbing -------------------------------------------------------------------------------

    def _post(self, message: dict[str, Any]) -> None:
        if not self._closed:
            self._channel.post(message)
