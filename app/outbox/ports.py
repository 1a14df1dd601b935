"""What the outbox needs from the outside world, as Protocols, with in-memory versions.

The page supplies the real ones (an IndexedDB ``Store``, a ``fetch`` ``Transport``, the browser's
clock and ``random``); tests supply ``MemoryStore``, ``FakeClock`` (``tests/support``) and a seeded
``random.Random``. Nothing here touches a browser API.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from app.outbox.entries import Entry

__all__ = [
    "Clock",
    "NetworkError",
    "Random",
    "Response",
    "Store",
    "SystemClock",
    "Transport",
]


class NetworkError(Exception):
    """The request got no HTTP answer: offline, DNS, connection reset, CORS, timeout."""


@dataclass(frozen=True)
class Response:
    """An HTTP answer, reduced to what the policy reads."""

    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    """Header names in lower case (``retry-after``)."""
    body: Any = None
    """The parsed JSON body; ``None`` when empty, the text when it was not JSON."""


class Transport(Protocol):
    """Sends one JSON request to the log API (same origin, cookie session, CSRF header)."""

    async def send(self, method: str, path: str, json_body: Any = None) -> Response:
        """Send ``json_body`` to ``path``; raise ``NetworkError`` when no answer arrives.

        Every HTTP answer, ``4xx``/``5xx`` included, is returned, never raised. The browser
        adapter should add the ``x-csrftoken`` header and put a timeout on the request.
        """
        ...


class Clock(Protocol):
    """Wall-clock time, so ``next_attempt_at`` survives a reload and compares with HTTP-dates."""

    def now(self) -> float:
        """Unix time in seconds (``Date.now() / 1000`` in the browser)."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` (the tests' ``run_until_idle`` uses it)."""
        ...


class Random(Protocol):
    """The jitter source; ``random.Random`` (seeded in tests) fits."""

    def uniform(self, a: float, b: float) -> float:
        """A number in ``[a, b]``."""
        ...


class Store(Protocol):
    """The durable outbox (IndexedDB in the browser): entries, session ids, small metadata.

    Entries travel as ``entry.to_dict()`` dicts keyed by ``"key"``. The chat side calls
    ``enqueue`` inside the same IndexedDB transaction as its history write (the adapter offers a
    variant taking that transaction), so a message is durable before it shows as sent.
    """

    async def enqueue(self, entries: Sequence[Entry]) -> list[str]:
        """Add the entries whose key is new, giving each the next ``order``; return their keys.

        An entry whose key is already stored is left as it is, so enqueueing twice is harmless.
        """
        ...

    async def list_entries(self) -> list[Entry]:
        """Every entry, pending and failed, by ``order``."""
        ...

    async def get(self, key: str) -> Entry | None:
        """One entry, or ``None`` when no entry has that key."""
        ...

    async def apply(self, *, update: Sequence[Entry] = (), delete: Sequence[str] = ()) -> None:
        """In one transaction: overwrite existing entries and delete keys.

        An ``update`` whose key is no longer stored (discarded meanwhile) is dropped, never
        re-created; deleting a missing key is not an error.
        """
        ...

    async def get_server_session_id(self, client_session_id: str) -> str | None:
        """The server's id for a session the server has created, else ``None``."""
        ...

    async def set_server_session_id(self, client_session_id: str, server_session_id: str) -> None:
        """Remember the server's id for a session."""
        ...

    async def get_meta(self, name: str) -> Any:
        """A small JSON-safe value the worker keeps (its backoff hold), or ``None``."""
        ...

    async def set_meta(self, name: str, value: Any) -> None:
        """Store a small JSON-safe value under ``name``."""
        ...


class SystemClock:
    """The real clock: ``time.time()`` and ``asyncio.sleep`` (both work under Pyodide)."""

    def now(self) -> float:
        """Unix time in seconds."""
        return time.time()

    async def sleep(self, seconds: float) -> None:
        """Sleep on the running event loop."""
        await asyncio.sleep(max(0.0, seconds))
