"""The account sheet's list of log entries the server refused: retry or discard each."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pyscript import window

from app.browser.dom import by_id, element, on
from app.outbox.entries import MessageEntry

if TYPE_CHECKING:
    from app.browser.sync_runtime import SyncRuntime
    from app.i18n import Translate

__all__ = ["FailedEntries"]


@dataclass(frozen=True)
class FailedEntries:
    """``#outbox-panel``: what could not be saved, and why."""

    t: Translate
    runtime: SyncRuntime

    async def render(self) -> None:
        """List the failed entries (the panel hides when there are none)."""
        entries = await self.runtime.failed_entries()
        panel = by_id("outbox-panel")
        listing = by_id("failed-list")
        listing.replaceChildren()
        panel.hidden = not entries
        for entry in entries:
            item = element("li", classes=("failed-item",), data_key=entry.key)
            what = (
                entry.payload.content[:60]
                if isinstance(entry, MessageEntry)
                else entry.client_session_id[:8]
            )
            error = entry.last_error
            reason = ""
            if error:
                fields = "; ".join(f"{field}: {message}" for field, message in error.details)
                reason = f"{error.message} ({fields})" if fields else error.message
            text = element("span")
            text.appendChild(element("strong", what))
            text.appendChild(element("small", f" — {reason}", classes=("reason",)))
            item.appendChild(text)
            retry = element(
                "button", self.t("outbox.retry"), classes=("small", "retry"), type="button"
            )
            on(retry, "click", lambda _e, key=entry.key: self._retry(key))
            discard = element(
                "button", self.t("outbox.discard"), classes=("small", "discard"), type="button"
            )
            on(discard, "click", lambda _e, key=entry.key: self._discard(key))
            item.appendChild(retry)
            item.appendChild(discard)
            listing.appendChild(item)

    async def _retry(self, key: str) -> None:
        await self.runtime.retry(key)
        await self.render()

    async def _discard(self, key: str) -> None:
        if window.confirm(self.t("outbox.discard") + "?"):
            await self.runtime.discard(key)
            await self.render()
