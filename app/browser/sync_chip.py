"""The header's sync chip: synced / N waiting / offline / paused: log in / N failed."""

from __future__ import annotations

from pyscript import window

from app.browser.dom import by_id
from app.i18n import Translate
from app.outbox.state import OutboxState, sync_chip

__all__ = ["show_chip"]


def show_chip(t: Translate, state: OutboxState, *, signed_in: bool) -> OutboxState:
    """Show ``state`` on the chip; the state as shown (offline overrides paused)."""
    chip_view = sync_chip(state, online=bool(window.navigator.onLine), signed_in=signed_in)
    chip = by_id("sync-indicator")
    chip.setAttribute("data-sync", chip_view.key)
    chip.setAttribute("data-waiting", str(chip_view.state.waiting))
    chip.setAttribute("data-failed", str(chip_view.state.failed))
    label = t(f"outbox.{chip_view.key}", count=chip_view.count)
    by_id("sync-label").textContent = label
    by_id("sync-short").textContent = t(f"outbox.short.{chip_view.key}", count=chip_view.count)
    chip.setAttribute("title", label)
    chip.setAttribute("aria-label", label)
    chip.hidden = chip_view.hidden
    return chip_view.state
