"""Local storage: the chat history, settings and the outbox in one database.

Plain Python over the :class:`Database` Protocol; the browser supplies IndexedDB
(``app.browser.idb``), tests and the no-IndexedDB fallback use :class:`MemoryDatabase`.
"""

from __future__ import annotations

from app.storage.chat_repo import (
    EXPORT_FORMAT,
    EXPORT_VERSION,
    ChatRepository,
    ImportSummary,
    SetAside,
    StorageImportError,
)
from app.storage.database import (
    DB_NAME,
    DB_VERSION,
    SCHEMA,
    Database,
    DatabaseError,
    MemoryDatabase,
    StoreSchema,
)
from app.storage.outbox_store import ORDERS, OrderClock, OutboxDbStore, outbox_adds
from app.storage.owner import NOBODY, Owner

__all__ = [
    "DB_NAME",
    "DB_VERSION",
    "EXPORT_FORMAT",
    "EXPORT_VERSION",
    "NOBODY",
    "ORDERS",
    "SCHEMA",
    "ChatRepository",
    "Database",
    "DatabaseError",
    "ImportSummary",
    "MemoryDatabase",
    "OrderClock",
    "OutboxDbStore",
    "Owner",
    "SetAside",
    "StorageImportError",
    "StoreSchema",
    "outbox_adds",
]
