"""Fill ``username_key`` and make it unique, keeping accounts that differ only in case.

The oldest account of each case-insensitive name gets the plain lower-case key, and so keeps
logging in under any spelling; a later one gets ``name~<its id>`` (``~`` is never in a
username), so it stays reachable under its exact spelling and nobody can register the name
again. Raw SQL for the index, as in the chat app's indexes: a unique index is the same on
SQLite and PostgreSQL and a valid ``ON CONFLICT`` target on both.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-02T01:50:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "account.username_key filled and unique"

INDEX = "account_username_nocase"


class RawTable(Table):
    pass


def username_keys(rows: list[dict]) -> list[tuple[object, str]]:
    """(account id as the database gave it, key) for rows ordered oldest first."""
    keys: list[tuple[object, str]] = []
    taken: set[str] = set()
    for row in rows:
        key = str(row["username"]).lower()
        if key in taken:
            key = f"{key}~{row['id']}"
        taken.add(key)
        keys.append((row["id"], key))
    return keys


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="accounts", description=DESCRIPTION)

    async def fill_and_index():
        rows = await RawTable.raw("SELECT id, username FROM account ORDER BY created_at, username")
        for account_id, key in username_keys(rows):
            await RawTable.raw(
                "UPDATE account SET username_key = {} WHERE id = {}", key, account_id
            )
        await RawTable.raw(f'CREATE UNIQUE INDEX "{INDEX}" ON account ("username_key")')

    async def drop_index():
        await RawTable.raw(f'DROP INDEX IF EXISTS "{INDEX}"')

    manager.add_raw(fill_and_index)
    manager.add_raw_backwards(drop_index)
    return manager
