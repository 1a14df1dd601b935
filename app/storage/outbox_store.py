"""The outbox's durable ``Store`` (``app.outbox.ports.Store``) on the app's :class:`Database`.

It shares the database with the chat history, so ``ChatRepository.save_messages`` can write a
message and its outbox entry in one transaction: both go through :func:`outbox_adds`. For that
to work, an entry's ``order`` is assigned *without reading* the store (``MemoryStore`` counts
from the stored entries; a read-then-write would need the read inside the chat's transaction).
:class:`OrderClock` gives increasing microsecond timestamps instead: increasing within a tab,
and in creation order across tabs and reloads up to clock precision (ties fall back to the key,
which only matters for entries created in the same millisecond in two tabs).

Three stores: ``outbox`` (entry dicts keyed by ``"key"``), ``outbox_meta`` (``{name, value}``,
the worker's hold and last-sync time) and ``session_map`` (``{clientSessionId,
serverSessionId}``). Every tab shares them; only the tab holding the flush lock sends.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from app.outbox.entries import Entry, entry_from_dict
from app.storage.database import OUTBOX, OUTBOX_META, SESSION_MAP
from app.storage.owner import NOBODY, Owner

if TYPE_CHECKING:
    from app.storage.database import Database

__all__ = ["ORDERS", "OrderClock", "OutboxDbStore", "outbox_adds", "record_owner"]


def _microseconds() -> int:
    return time.time_ns() // 1000


class OrderClock:
    """Increasing integers from the wall clock, in microseconds.

    Microseconds (about 1.7e15 today) stay exact as JS numbers (below 2**53, about 9e15), so
    IndexedDB stores them as plain numbers rather than BigInts.
    """

    def __init__(self, now: Callable[[], int] = _microseconds) -> None:
        self._now = now
        self._last = 0

    def next(self) -> int:
        """The next order: the current time, or one more than the last one if the clock has not
        moved (Pyodide's clock ticks in milliseconds) or went back."""
        value = max(int(self._now()), self._last + 1)
        self._last = value
        return value


ORDERS = OrderClock()
"""The tab's one order source, shared by every writer of outbox entries."""


def outbox_adds(
    entries: Sequence[Entry], *, owner: str = NOBODY, orders: OrderClock | None = None
) -> list[tuple[str, dict[str, Any]]]:
    """The ``adds`` of a :meth:`Database.write` that enqueues ``entries``, in the given order,
    as ``owner``'s (the account they are sent under; see :class:`OutboxDbStore`).

    An entry whose key is already stored is not added (``adds`` insert only when absent), so
    enqueueing again is a no-op; the write returns the keys it did add.
    """
    clock = orders or ORDERS
    adds = []
    for entry in entries:
        record = entry.to_dict()
        record["order"] = clock.next()
        record["owner"] = owner
        adds.append((OUTBOX, record))
    return adds


def record_owner(record: Any) -> str:
    """The account an outbox record was written under (older records: nobody)."""
    owner = record.get("owner") if isinstance(record, dict) else None
    return owner if isinstance(owner, str) else NOBODY


class OutboxDbStore:
    """``app.outbox.ports.Store`` over a :class:`Database` (behaves like ``MemoryStore``).

    It holds the entries of :attr:`owner`'s account only: another account's entries (and
    those written while nobody was logged in) stay stored, unseen and unsent, so they can
    never go out under the wrong cookie.
    """

    def __init__(
        self, db: Database, *, orders: OrderClock | None = None, owner: Owner | None = None
    ) -> None:
        self.db = db
        self._orders = orders
        self.owner = owner or Owner()
        self._owners: dict[str, str] = {}
        """Whose each entry listed so far is: an update keeps it, whoever is logged in now."""

    async def enqueue(self, entries: Sequence[Entry]) -> list[str]:
        """Add the entries whose key is new, as the owner's; return their keys. One
        transaction."""
        if not entries:
            return []
        adds = outbox_adds(entries, owner=self.owner.account, orders=self._orders)
        return await self.db.write(adds=adds)

    async def list_entries(self) -> list[Entry]:
        """The owner's readable entries by ``order`` (then key).

        A record this version cannot read (written by a newer version in another tab, say) is
        skipped and kept, rather than stopping the whole outbox.
        """
        records = await self.db.get_all(OUTBOX)
        entries = []
        for record in records:
            if not isinstance(record, dict) or record_owner(record) != self.owner.account:
                continue
            if isinstance(record.get("key"), str):
                self._owners[record["key"]] = self.owner.account
            try:
                entries.append(entry_from_dict(record))
            except ValueError:
                continue
        entries.sort(key=lambda entry: (entry.order, entry.key))
        return entries

    async def get(self, key: str) -> Entry | None:
        """One entry by key (``None`` when absent or unreadable)."""
        record = await self.db.get(OUTBOX, key)
        if record is None:
            return None
        try:
            return entry_from_dict(record)
        except ValueError:
            return None

    async def apply(self, *, update: Sequence[Entry] = (), delete: Sequence[str] = ()) -> None:
        """Overwrite entries still stored, delete keys; one transaction.

        ``replaces`` make "only if still stored" part of the transaction, so a discard from
        another tab between the worker's read and this write is never undone. A key both
        updated and deleted is deleted (as ``MemoryStore`` does).
        """
        gone = set(delete)
        replaces = [
            (OUTBOX, {**entry.to_dict(), "owner": self._owners.get(entry.key, self.owner.account)})
            for entry in update
            if entry.key not in gone
        ]
        if replaces or gone:
            await self.db.write(
                replaces=replaces, deletes=[(OUTBOX, key) for key in dict.fromkeys(delete)]
            )

    async def get_server_session_id(self, client_session_id: str) -> str | None:
        """The server's id for a session it has created, else ``None``."""
        record = await self.db.get(SESSION_MAP, client_session_id)
        value = record.get("serverSessionId") if record else None
        return value if isinstance(value, str) and value else None

    async def set_server_session_id(self, client_session_id: str, server_session_id: str) -> None:
        """Remember the server's id for a session."""
        record = {"clientSessionId": client_session_id, "serverSessionId": server_session_id}
        await self.db.write(puts=[(SESSION_MAP, record)])

    async def get_meta(self, name: str) -> Any:
        """A stored metadata value, or ``None``."""
        record = await self.db.get(OUTBOX_META, name)
        return record.get("value") if record else None

    async def set_meta(self, name: str, value: Any) -> None:
        """Store a metadata value (``None`` removes it)."""
        if value is None:
            await self.db.write(deletes=[(OUTBOX_META, name)])
        else:
            await self.db.write(puts=[(OUTBOX_META, {"name": name, "value": value})])
