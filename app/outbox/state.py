"""The outbox at a glance, for the sync indicator; every tab shows the flushing tab's summary."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from app.contract import camel

__all__ = ["SUMMARY_KEYS", "Chip", "OutboxState", "sync_chip"]

SUMMARY_KEYS = ("synced", "waiting", "offline", "paused", "failed")
"""Every value ``OutboxState.summary_key`` can return."""


@dataclass(frozen=True)
class OutboxState:
    """Counts and flags the UI shows; broadcast between tabs as ``to_dict()``."""

    waiting: int = 0
    """Pending entries (due now, backing off, or behind a failed session)."""
    failed: int = 0
    """Entries the server refused; each needs the user's retry or discard."""
    paused: bool = False
    """Sending stopped on a ``401``: the user must log in."""
    offline: bool = False
    """The last request got no answer (the worker backs off until it gets one)."""
    last_synced_at: float | None = None
    """Clock time of the last acknowledged entry."""
    next_attempt_at: float | None = None
    """When the worker next wants to send (``None`` when nothing waits, or paused)."""

    def summary_key(self) -> str:
        """One word for the indicator, the most pressing first.

        ``paused`` (log in) > ``failed`` (needs a decision) > ``offline`` > ``waiting`` >
        ``synced``. ``offline`` shows even with nothing waiting: logs can't be sent right now.
        """
        if self.paused:
            return "paused"
        if self.failed:
            return "failed"
        if self.offline:
            return "offline"
        if self.waiting:
            return "waiting"
        return "synced"

    def to_dict(self) -> dict[str, Any]:
        """Every field under its camel-case name (the wire's naming rule), JSON-safe."""
        return {camel(item.name): getattr(self, item.name) for item in fields(self)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> OutboxState:
        """Read what ``to_dict`` wrote (missing fields take their defaults)."""
        last = data.get("lastSyncedAt")
        nxt = data.get("nextAttemptAt")
        return cls(
            waiting=int(data.get("waiting", 0)),
            failed=int(data.get("failed", 0)),
            paused=bool(data.get("paused", False)),
            offline=bool(data.get("offline", False)),
            last_synced_at=float(last) if last is not None else None,
            next_attempt_at=float(nxt) if nxt is not None else None,
        )


@dataclass(frozen=True)
class Chip:
    """What the header's sync chip shows: its word (``key``), the count in its label, and
    whether it is hidden (nothing to say: nobody signed in and nothing waiting, so neither
    "saved" nor "log in to save 0")."""

    key: str
    count: int
    hidden: bool
    state: OutboxState


def sync_chip(state: OutboxState, *, online: bool, signed_in: bool) -> Chip:
    """The chip for ``state``. Offline nothing is sent, logged in or not (a login can't be
    checked), so the chip says "offline" rather than "paused"."""
    if not online:
        state = replace(state, offline=True, paused=False)
    key = state.summary_key()
    count = state.failed if key == "failed" else state.waiting
    idle = not state.waiting and not state.failed
    hidden = key in ("synced", "paused") and not signed_in and idle
    return Chip(key, count, hidden, state)
