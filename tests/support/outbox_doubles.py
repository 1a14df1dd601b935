"""Test doubles of the outbox's ports: a clock that moves only when told and a ``Store`` in a
dict (the reference the IndexedDB adapter is checked against), and a helper that flushes until
nothing more can be sent. Not shipped to the page."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from app.outbox.entries import Entry, entry_from_dict
from app.outbox.sync import FlushResult, SyncWorker

__all__ = ["FakeClock", "MemoryStore", "run_until_idle"]


class FakeClock:
    """A clock that moves only when told (or when something sleeps on it)."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self._now = float(now)

    def now(self) -> float:
        """The current fake time."""
        return self._now

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        if seconds < 0:
            raise ValueError("time does not go backwards")
        self._now += seconds

    async def sleep(self, seconds: float) -> None:
        """Advance instead of waiting."""
        self.advance(max(0.0, seconds))


def _clone(value: Any) -> Any:
    """A deep, JSON-only copy, as a structured clone of a JSON-safe value would be."""
    return json.loads(json.dumps(value))


def _clone(value: Any) -> Any:
    """A deep, JSON-only copy, as a structured clone of a JSON-safe value would be."""
    return json.loads(json.dumps(value))


class MemoryStore:
    """A ``Store`` in a dict; it keeps entries as their stored dicts, like IndexedDB would.

    Used by the tests and as the reference for the IndexedDB adapter's behaviour.
    """

    def __init__(self) -> None:
        self.records: dict[str, dict[str, Any]] = {}
        """Entry dicts by key, exactly as ``to_dict`` made them."""
        self.sessions: dict[str, str] = {}
        """Client session id to server session id."""
        self.meta: dict[str, Any] = {}
        self._next_order = 1

    async def enqueue(self, entries: Sequence[Entry]) -> list[str]:
        """Add new keys in the given order; keep existing ones untouched."""
        added = []
        for entry in entries:
            if entry.key in self.records:
                continue
            record = _clone(entry.to_dict())
            record["order"] = self._next_order
            self._next_order += 1
            self.records[entry.key] = record
            added.append(entry.key)
        return added

    async def list_entries(self) -> list[Entry]:
        """Every entry by ``order`` (then key)."""
        records = sorted(self.records.values(), key=lambda r: (r["order"], r["key"]))
        return [entry_from_dict(_clone(record)) for record in records]

    async def get(self, key: str) -> Entry | None:
        """One entry by key."""
        record = self.records.get(key)
        return entry_from_dict(_clone(record)) if record is not None else None

    async def apply(self, *, update: Sequence[Entry] = (), delete: Sequence[str] = ()) -> None:
        """Overwrite existing entries, then delete keys; all or nothing."""
        records = {e.key: _clone(e.to_dict()) for e in update if e.key in self.records}
        self.records.update(records)
        for key in delete:
            self.records.pop(key, None)

    async def get_server_session_id(self, client_session_id: str) -> str | None:
        """The mapped server id, if any."""
        return self.sessions.get(client_session_id)

    async def set_server_session_id(self, client_session_id: str, server_session_id: str) -> None:
        """Record the mapping."""
        self.sessions[client_session_id] = server_session_id

    async def get_meta(self, name: str) -> Any:
        """A stored metadata value, or ``None``."""
        value = self.meta.get(name)
        return _clone(value) if value is not None else None

    async def set_meta(self, name: str, value: Any) -> None:
        """Store a metadata value (``None`` removes it)."""
        if value is None:
            self.meta.pop(name, None)
        else:
            self.meta[name] = _clone(value)


async def run_until_idle(
    worker: SyncWorker, clock: FakeClock, *, max_rounds: int = 1000
) -> list[FlushResult]:
    """Flush, sleep on ``clock`` until the next wakeup, repeat until nothing can be sent;
    ``RuntimeError`` when the outbox is still busy after ``max_rounds`` flushes."""
    results = []
    for _ in range(max_rounds):
        result = await worker.flush()
        results.append(result)
        if result.next_wakeup is None:
            return results
        await clock.sleep(result.next_wakeup - clock.now())
    raise RuntimeError(f"the outbox was still busy after {max_rounds} flushes")
