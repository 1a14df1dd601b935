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

__all__ = [
    "DB_NAME",
    "DB_VERSION",
    "EXPORT_FORMAT",
    "EXPORT_VERSION",
    "ORDERS",
    "SCHEMA",
    "ChatRepository",
    "Database",
    "DatabaseError",
    "ImportSummary",
    "MemoryDatabase",
    "OrderClock",
    "OutboxDbStore",
    "StorageImportError",
    "StoreSchema",
    "outbox_adds",
]
