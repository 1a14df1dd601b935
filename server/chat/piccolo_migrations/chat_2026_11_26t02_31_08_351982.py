"""Unique keys for idempotency and composite indexes for the two read paths.

Raw SQL because Piccolo 1.38 declares only single-column indexes, and adds a composite
``Unique`` with ``ALTER TABLE ... ADD CONSTRAINT``, which SQLite cannot run. ``CREATE [UNIQUE]
INDEX`` is the same on SQLite and PostgreSQL, and a unique index is a valid ``ON CONFLICT``
target on both.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-26T02:31:08:351982"
VERSION = "1.38.0"
DESCRIPTION = "idempotency keys; indexes for listing sessions and paging messages"

INDEXES = {
    # One row per client id, whatever the concurrency: INSERT ... ON CONFLICT targets these.
    "chat_session_client_key": 'UNIQUE INDEX "{name}" ON chat_session ("account", "client_session_id")',
    "chat_message_client_key": 'UNIQUE INDEX "{name}" ON chat_message ("session", "client_message_id")',
    # A user's sessions, newest first, keyset-paged on (created_at, id).
    "chat_session_account_created": 'INDEX "{name}" ON chat_session ("account", "created_at", "id")',
    # A session's messages in seq order, keyset-paged on seq.
    "chat_message_session_seq": 'INDEX "{name}" ON chat_message ("session", "seq", "id")',
}


class RawTable(Table):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="chat", description=DESCRIPTION)

    async def create_indexes():
        for name, definition in INDEXES.items():
            await RawTable.raw("CREATE " + definition.format(name=name))

    async def drop_indexes():
        for name in INDEXES:
            await RawTable.raw(f'DROP INDEX IF EXISTS "{name}"')

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)

    return manager
