"""The app's :class:`~app.storage.database.Database` on IndexedDB (thin: the work is in JS).

``web/idb.js`` runs each call as one IndexedDB transaction and always resolves to
``{ok, value}`` or ``{ok: false, name, message}``; this module converts values across the FFI
and turns failures into :class:`DatabaseError`. Every rule (keys, one kind of operation per key)
is checked here first with the same ``check_write`` as ``MemoryDatabase``, so both fail alike.
"""

from __future__ import annotations

import json
from typing import Any

from pyscript import window
from pyscript.js_modules import idb

from app.browser.jsbridge import js_object, to_py, to_py_list
from app.storage.database import (
    DB_NAME,
    DB_VERSION,
    SCHEMA,
    DatabaseError,
    Keys,
    MemoryDatabase,
    Rows,
    check_write,
    record_key,
)

__all__ = ["IndexedDatabase", "open_database"]


def _unwrap(result: Any) -> Any:
    """The value of an ``{ok, value}`` result; :class:`DatabaseError` for ``{ok: false}``."""
    if not result.ok:
        raise DatabaseError(str(result.name), str(result.message))
    return result.value


class IndexedDatabase:
    """IndexedDB database ``character-chat``, version :data:`DB_VERSION`, stores of
    :data:`SCHEMA`. Open it with :meth:`open`."""

    def __init__(self, handle: Any) -> None:
        self._handle = handle

    @classmethod
    async def open(cls, name: str = DB_NAME, version: int = DB_VERSION) -> IndexedDatabase:
        """Open (creating or upgrading) the database; :class:`DatabaseError` when IndexedDB is
        missing, refused (some private modes) or blocked by another tab."""
        schema = {store: spec.to_dict() for store, spec in SCHEMA.items()}
        return cls(_unwrap(await idb.open(name, version, js_object(schema))))

    async def get(self, store: str, key: str) -> dict[str, Any] | None:
        """The value stored under ``key``, or ``None`` (a stand-in if it cannot be read)."""
        found = to_py_list(window.Array.of(_unwrap(await self._handle.get(store, key))))
        return found[0] if found else None

    async def get_all(
        self, store: str, *, index: str | None = None, value: Any = None
    ) -> list[dict[str, Any]]:
        """Values by primary key, or those of an index (see ``Database.get_all``)."""
        found = _unwrap(await self._handle.getAll(store, index, js_object(value)))
        return to_py_list(found)

    async def write(
        self, *, puts: Rows = (), adds: Rows = (), replaces: Rows = (), deletes: Keys = ()
    ) -> list[str]:
        """One readwrite transaction (see ``Database.write``); the keys ``adds`` added."""
        if not check_write(puts=puts, adds=adds, replaces=replaces, deletes=deletes):
            return []
        first_adds: dict[tuple[str, Any], tuple[str, dict[str, Any]]] = {}
        for store, value in adds:  # a key added twice: the first one counts
            first_adds.setdefault((store, record_key(store, value)), (store, value))
        lists = [
            [list(pair) for pair in puts],
            [list(pair) for pair in first_adds.values()],
            [list(pair) for pair in replaces],
            [list(pair) for pair in deletes],
        ]
        try:  # one JSON text crosses to JS: far cheaper than converting each object graph
            text = json.dumps(lists, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        except ValueError:  # NaN or infinity, which JSON cannot carry: convert them instead
            result = await self._handle.write(*(js_object(items) for items in lists))
        else:
            result = await self._handle.writeJson(text)
        return [str(key) for key in to_py(_unwrap(result)) or []]

    def close(self) -> None:
        """Close the connection; later calls fail."""
        self._handle.close()


async def open_database() -> tuple[IndexedDatabase | MemoryDatabase, DatabaseError | None]:
    """IndexedDB, or an in-memory database when it cannot be opened.

    Returns the database and, for the fallback, why (the page should warn that chats will not
    survive a reload).
    """
    try:
        return await IndexedDatabase.open(), None
    except DatabaseError as exc:
        window.console.warn(f"IndexedDB unavailable, keeping chats in memory: {exc}")
        return MemoryDatabase(), exc
