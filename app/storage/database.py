"""The app's one local database, as a small async Protocol, and an in-memory version of it.

Chat history and the outbox live in the same database so that a message and its outbox entry
are written in one transaction (durable before shown as sent: docs/architecture.md, "The
outbox"). In the browser the database is IndexedDB (``app.browser.idb.IndexedDatabase``); :class:`MemoryDatabase` is the
reference behaviour for the unit tests and the fallback when IndexedDB is unavailable (private
windows of some browsers): the app still works, it just forgets on reload.

The model is IndexedDB's, reduced to what the app needs: named stores of JSON-ready dicts, each
keyed by a field of the value (its key path), some with an index on another field; one
``write`` is one transaction over every store it touches, all or nothing.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

Rows = Sequence[tuple[str, dict[str, Any]]]
"""(store, value) pairs of a write."""
Keys = Sequence[tuple[str, str]]
"""(store, key) pairs of a write's deletes."""

__all__ = [
    "CHARACTERS",
    "DB_NAME",
    "DB_VERSION",
    "MESSAGES",
    "OUTBOX",
    "OUTBOX_META",
    "SCHEMA",
    "SESSIONS",
    "SESSION_MAP",
    "SETTINGS",
    "UNREADABLE_KEY",
    "Database",
    "DatabaseError",
    "Keys",
    "MemoryDatabase",
    "Rows",
    "StoreSchema",
    "check_write",
    "record_key",
]

UNREADABLE_KEY = "__unreadable__"
"""Marks the stand-in a browser adapter returns for a stored value it could not convert:
``{UNREADABLE_KEY: why, "raw": its JSON text}`` (the repository sets such records aside)."""

DB_NAME = "character-chat"
"""The IndexedDB database name."""
DB_VERSION = 1
"""Bump it (and add what changed to :data:`SCHEMA`) to add stores or indexes."""

CHARACTERS = "characters"
SESSIONS = "sessions"
MESSAGES = "messages"
SETTINGS = "settings"
OUTBOX = "outbox"
OUTBOX_META = "outbox_meta"
SESSION_MAP = "session_map"


@dataclass(frozen=True)
class StoreSchema:
    """One object store: the field that keys its values, and its indexes."""

    key_path: str
    """The value's field holding its primary key (IndexedDB ``keyPath``)."""
    indexes: Mapping[str, str] = field(default_factory=dict)
    """Index name to the value's field it indexes."""

    def to_dict(self) -> dict[str, Any]:
        """What ``web/idb.js`` reads to create the store in ``onupgradeneeded``."""
        return {"keyPath": self.key_path, "indexes": dict(self.indexes)}


SCHEMA: Mapping[str, StoreSchema] = {
    CHARACTERS: StoreSchema("id"),
    SESSIONS: StoreSchema("id", {"characterId": "character_id"}),
    MESSAGES: StoreSchema("id", {"sessionId": "session_id"}),
    SETTINGS: StoreSchema("key"),
    OUTBOX: StoreSchema("key"),
    OUTBOX_META: StoreSchema("name"),
    SESSION_MAP: StoreSchema("clientSessionId"),
}
"""Every store and index. The one source of truth: the IndexedDB adapter passes it to JS."""


class DatabaseError(Exception):
    """A database operation failed; nothing of a failed ``write`` was stored.

    ``name`` is the DOM exception name where there is one (``DataError`` for a bad key,
    ``NotFoundError`` for an unknown store or index, ``QuotaExceededError`` when the disk is
    full, ``VersionError`` when another tab upgraded the database), so the UI can explain it.
    """

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message


class Database(Protocol):
    """Async access to the stores of :data:`SCHEMA`. Values go in and come out as copies."""

    async def get(self, store: str, key: str) -> dict[str, Any] | None:
        """The value stored under ``key``, or ``None``."""
        ...

    async def get_all(
        self, store: str, *, index: str | None = None, value: Any = None
    ) -> list[dict[str, Any]]:
        """Every value of ``store`` by primary key; with ``index``, those whose indexed field is
        ``value`` (every indexed value when ``value`` is ``None``), by index key then primary key."""
        ...

    async def write(
        self, *, puts: Rows = (), adds: Rows = (), replaces: Rows = (), deletes: Keys = ()
    ) -> list[str]:
        """One transaction over every store touched; all of it is stored, or nothing.

        ``puts`` insert or overwrite; ``adds`` insert only when the key is absent (so adding an
        outbox entry twice is harmless); ``replaces`` overwrite only when the key is present (so
        a worker's update never re-creates an entry discarded meanwhile); ``deletes`` remove
        keys (a missing key is not an error). One (store, key) may appear in one kind of
        operation only (see :func:`check_write`). Returns the keys ``adds`` actually added, in
        order. Raises :class:`DatabaseError` when the transaction fails.
        """
        ...


# --- keys ---------------------------------------------------------------------------------------


def _valid_key(value: Any) -> bool:
    """An IndexedDB key we use: a string or a finite number (never a bool)."""
    if isinstance(value, str):
        return True
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return not math.isnan(value)


def _key_order(value: Any) -> tuple[int, Any]:
    """IndexedDB's key order: numbers before strings."""
    return (1, value) if isinstance(value, str) else (0, value)


def _schema(store: str) -> StoreSchema:
    schema = SCHEMA.get(store)
    if schema is None:
        raise DatabaseError("NotFoundError", f"no object store named {store!r}")
    return schema


def record_key(store: str, value: Any) -> Any:
    """The primary key of ``value`` in ``store``; :class:`DatabaseError` (``DataError``) when the
    value is not an object or its key path holds no valid key."""
    schema = _schema(store)
    if not isinstance(value, dict):
        raise DatabaseError("DataError", f"a {store} value must be an object")
    key = value.get(schema.key_path)
    if not _valid_key(key):
        raise DatabaseError("DataError", f"a {store} value needs its key in {schema.key_path!r}")
    return key


def check_write(
    *, puts: Rows = (), adds: Rows = (), replaces: Rows = (), deletes: Keys = ()
) -> set[str]:
    """Validate a write before anything is stored; return the stores it touches.

    Both databases call it, so a bad write fails the same way with and without IndexedDB: an
    unknown store, a value without its key, or one (store, key) in two kinds of operation
    (their order inside a transaction would then matter, and IndexedDB's would differ from
    ours) raise :class:`DatabaseError`.
    """
    kinds: dict[tuple[str, Any], str] = {}
    for kind, items in (("put", puts), ("add", adds), ("replace", replaces)):
        for store, value in items:
            where = (store, record_key(store, value))
            if kinds.setdefault(where, kind) != kind:
                raise DatabaseError(
                    "DataError", f"{store} key {where[1]!r} is both a {kinds[where]} and a {kind}"
                )
    for store, key in deletes:
        _schema(store)
        if not _valid_key(key):
            raise DatabaseError("DataError", f"cannot delete {store} key {key!r}")
        if kinds.setdefault((store, key), "delete") != "delete":
            raise DatabaseError(
                "DataError", f"{store} key {key!r} is both a {kinds[(store, key)]} and a delete"
            )
    return {store for store, _ in kinds}


# --- in memory ----------------------------------------------------------------------------------


def _clone(value: Any) -> Any:
    """A deep copy holding only JSON data, like a structured clone of what ``to_js`` makes."""
    try:
        return json.loads(json.dumps(value))
    except (TypeError, ValueError) as exc:
        raise DatabaseError("DataCloneError", f"the value is not JSON data: {exc}") from exc


class MemoryDatabase:
    """A :class:`Database` in dicts, with IndexedDB's semantics (copies, atomic writes)."""

    def __init__(self) -> None:
        self._stores: dict[str, dict[Any, dict[str, Any]]] = {name: {} for name in SCHEMA}

    def snapshot(self) -> dict[str, dict[Any, dict[str, Any]]]:
        """A deep copy of every store (for tests: compare before and after)."""
        return {name: _clone_store(records) for name, records in self._stores.items()}

    async def get(self, store: str, key: str) -> dict[str, Any] | None:
        """The value stored under ``key``, or ``None``."""
        _schema(store)
        value = self._stores[store].get(key)
        return _clone(value) if value is not None else None

    async def get_all(
        self, store: str, *, index: str | None = None, value: Any = None
    ) -> list[dict[str, Any]]:
        """Values by primary key, or by an index (see :meth:`Database.get_all`)."""
        schema = _schema(store)
        records = self._stores[store]
        if index is None:
            return [_clone(records[key]) for key in sorted(records, key=_key_order)]
        path = schema.indexes.get(index)
        if path is None:
            raise DatabaseError("NotFoundError", f"{store} has no index named {index!r}")
        found = [
            (record[path], key)
            for key, record in records.items()
            if _valid_key(record.get(path)) and (value is None or record[path] == value)
        ]
        found.sort(key=lambda pair: (_key_order(pair[0]), _key_order(pair[1])))
        return [_clone(records[key]) for _, key in found]

    async def write(
        self, *, puts: Rows = (), adds: Rows = (), replaces: Rows = (), deletes: Keys = ()
    ) -> list[str]:
        """Validate and copy everything first, then apply to copies of the touched stores and
        swap them in, so no failure can leave half a write behind."""
        touched = check_write(puts=puts, adds=adds, replaces=replaces, deletes=deletes)
        staged = {name: dict(self._stores[name]) for name in touched}
        added: list[str] = []
        for store, value in puts:
            self._stage(staged, store, value, "put")
        for store, value in adds:
            if self._stage(staged, store, value, "add"):
                added.append(record_key(store, value))
        for store, value in replaces:
            self._stage(staged, store, value, "replace")
        for store, key in deletes:
            self._stage_delete(staged, store, key)
        self._stores.update(staged)
        return added

    def _stage(
        self, staged: dict[str, dict[Any, dict[str, Any]]], store: str, value: Any, kind: str
    ) -> bool:
        """Put one value into the staged copy; False when its kind says to skip it."""
        key = record_key(store, value)
        records = staged[store]
        if (kind == "add" and key in records) or (kind == "replace" and key not in records):
            return False
        records[key] = _clone(value)
        return True

    def _stage_delete(
        self, staged: dict[str, dict[Any, dict[str, Any]]], store: str, key: Any
    ) -> None:
        staged[store].pop(key, None)


def _clone_store(records: dict[Any, dict[str, Any]]) -> dict[Any, dict[str, Any]]:
    return {key: _clone(value) for key, value in records.items()}
