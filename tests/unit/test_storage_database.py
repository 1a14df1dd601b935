"""MemoryDatabase: IndexedDB's semantics (copies, atomic writes, adds, indexes) without a browser."""

from __future__ import annotations

from typing import Any

import pytest

import app.storage as storage
from app.storage.database import (
    CHARACTERS,
    MESSAGES,
    OUTBOX,
    SCHEMA,
    SESSIONS,
    SETTINGS,
    DatabaseError,
    MemoryDatabase,
    check_write,
)


def msg(mid: str, session_id: str | None, seq: int = 0) -> dict[str, Any]:
    data: dict[str, Any] = {"id": mid, "seq": seq, "swipes": [f"text {mid}"]}
    if session_id is not None:
        data["session_id"] = session_id
    return data


@pytest.fixture
def db() -> MemoryDatabase:
    return MemoryDatabase()


def test_the_package_exports_exactly_its_public_names() -> None:
    public = {name for name in vars(storage) if not name.startswith("_")}
    modules = {"chat_repo", "database", "outbox_store", "owner", "annotations"}
    assert public - modules == set(storage.__all__)


def test_the_schema_has_every_store_and_index() -> None:
    assert {name: spec.to_dict() for name, spec in SCHEMA.items()} == {
        "characters": {"keyPath": "id", "indexes": {}},
        "sessions": {"keyPath": "id", "indexes": {"characterId": "character_id"}},
        "messages": {"keyPath": "id", "indexes": {"sessionId": "session_id"}},
        "settings": {"keyPath": "key", "indexes": {}},
        "outbox": {"keyPath": "key", "indexes": {}},
        "outbox_meta": {"keyPath": "name", "indexes": {}},
        "session_map": {"keyPath": "clientSessionId", "indexes": {}},
    }


async def test_values_go_in_and_come_out_as_copies(db: MemoryDatabase) -> None:
    value = {"id": "c1", "name": "Ilse", "tags": ["sky"]}
    await db.write(puts=[(CHARACTERS, value)])
    value["tags"].append("changed outside")
    stored = await db.get(CHARACTERS, "c1")
    assert stored == {"id": "c1", "name": "Ilse", "tags": ["sky"]}
    assert stored is not None
    stored["tags"].append("changed after reading")
    assert await db.get(CHARACTERS, "c1") == {"id": "c1", "name": "Ilse", "tags": ["sky"]}
    assert await db.get(CHARACTERS, "missing") is None


async def test_put_overwrites_and_get_all_is_by_primary_key(db: MemoryDatabase) -> None:
    await db.write(
        puts=[(SETTINGS, {"key": "b", "value": 1}), (SETTINGS, {"key": "a", "value": 2})]
    )
    await db.write(puts=[(SETTINGS, {"key": "b", "value": 3})])
    assert await db.get_all(SETTINGS) == [{"key": "a", "value": 2}, {"key": "b", "value": 3}]


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param((SESSIONS, {"title": "no id"}), id="missing-key-path"),
        pytest.param((SESSIONS, {"id": None}), id="null-key"),
        pytest.param((SESSIONS, {"id": True}), id="bool-key"),
        pytest.param((SESSIONS, ["not", "an", "object"]), id="not-an-object"),
    ],
)
async def test_a_bad_put_fails_the_whole_write(db: MemoryDatabase, bad: tuple[str, Any]) -> None:
    await db.write(puts=[(OUTBOX, {"key": "old", "v": 1})])
    before = db.snapshot()
    with pytest.raises(DatabaseError) as caught:
        await db.write(
            puts=[(CHARACTERS, {"id": "c1", "name": "Ilse"}), bad],
            adds=[(OUTBOX, {"key": "new"})],
            deletes=[(OUTBOX, "old")],
        )
    assert caught.value.name == "DataError"
    assert db.snapshot() == before


async def test_a_value_that_is_not_json_data_fails_the_whole_write(db: MemoryDatabase) -> None:
    with pytest.raises(DatabaseError) as caught:
        await db.write(
            puts=[(CHARACTERS, {"id": "c1"}), (CHARACTERS, {"id": "c2", "blob": object()})]
        )
    assert caught.value.name == "DataCloneError"
    assert await db.get_all(CHARACTERS) == []


async def test_unknown_stores_and_indexes_are_errors(db: MemoryDatabase) -> None:
    with pytest.raises(DatabaseError, match="NotFoundError"):
        await db.write(puts=[("nope", {"id": "x"})])
    with pytest.raises(DatabaseError, match="NotFoundError"):
        await db.get("nope", "x")
    with pytest.raises(DatabaseError, match="NotFoundError"):
        await db.get_all(SESSIONS, index="nope", value="x")
    with pytest.raises(DatabaseError, match="NotFoundError"):
        await db.write(deletes=[("nope", "x")])


async def test_adds_insert_only_absent_keys_and_report_them(db: MemoryDatabase) -> None:
    await db.write(puts=[(OUTBOX, {"key": "a", "v": "stored"})])
    added = await db.write(
        adds=[
            (OUTBOX, {"key": "a", "v": "ignored"}),
            (OUTBOX, {"key": "b", "v": "first"}),
            (OUTBOX, {"key": "b", "v": "second"}),
            (OUTBOX, {"key": "c", "v": "new"}),
        ]
    )
    assert added == ["b", "c"]
    assert [r["v"] for r in await db.get_all(OUTBOX)] == ["stored", "first", "new"]
    assert await db.write(adds=[(OUTBOX, {"key": "c", "v": "again"})]) == []


async def test_replaces_overwrite_only_present_keys(db: MemoryDatabase) -> None:
    await db.write(puts=[(OUTBOX, {"key": "a", "v": 1})])
    assert (
        await db.write(replaces=[(OUTBOX, {"key": "a", "v": 2}), (OUTBOX, {"key": "gone"})]) == []
    )
    assert await db.get_all(OUTBOX) == [{"key": "a", "v": 2}]


async def test_deleting_a_missing_key_is_fine(db: MemoryDatabase) -> None:
    await db.write(puts=[(OUTBOX, {"key": "a"})])
    await db.write(deletes=[(OUTBOX, "a"), (OUTBOX, "never-there")])
    assert await db.get_all(OUTBOX) == []


@pytest.mark.parametrize(
    "write",
    [
        pytest.param(
            {"puts": [(OUTBOX, {"key": "a"})], "deletes": [(OUTBOX, "a")]}, id="put-and-delete"
        ),
        pytest.param(
            {"puts": [(OUTBOX, {"key": "a"})], "adds": [(OUTBOX, {"key": "a"})]}, id="put-and-add"
        ),
        pytest.param(
            {"adds": [(OUTBOX, {"key": "a"})], "replaces": [(OUTBOX, {"key": "a"})]},
            id="add-and-replace",
        ),
    ],
)
async def test_one_key_in_two_kinds_of_operation_is_refused(
    db: MemoryDatabase, write: dict[str, Any]
) -> None:
    with pytest.raises(DatabaseError, match="both"):
        await db.write(**write)
    assert await db.get_all(OUTBOX) == []


async def test_one_write_spans_stores(db: MemoryDatabase) -> None:
    await db.write(puts=[(OUTBOX, {"key": "old"})])
    added = await db.write(
        puts=[(MESSAGES, msg("m1", "s1")), (SESSIONS, {"id": "s1", "character_id": "c1"})],
        adds=[(OUTBOX, {"key": "new"})],
        deletes=[(OUTBOX, "old")],
    )
    assert added == ["new"]
    assert [r["key"] for r in await db.get_all(OUTBOX)] == ["new"]
    assert await db.get(SESSIONS, "s1") is not None
    assert await db.get(MESSAGES, "m1") is not None


def test_check_write_reports_the_stores_touched() -> None:
    touched = check_write(
        puts=[(MESSAGES, msg("m1", "s1"))], adds=[(OUTBOX, {"key": "k"})], deletes=[(SESSIONS, "s")]
    )
    assert touched == {MESSAGES, OUTBOX, SESSIONS}
    assert check_write() == set()


async def test_an_empty_write_does_nothing(db: MemoryDatabase) -> None:
    before = db.snapshot()
    assert await db.write() == []
    assert db.snapshot() == before


async def test_index_queries(db: MemoryDatabase) -> None:
    await db.write(
        puts=[
            (MESSAGES, msg("m3", "s2")),
            (MESSAGES, msg("m2", "s1")),
            (MESSAGES, msg("m1", "s1")),
            (MESSAGES, msg("m0", None)),  # not in the index
            (MESSAGES, {**msg("m9", "s1"), "session_id": ["not", "a", "key"]}),
        ]
    )
    by_session = await db.get_all(MESSAGES, index="sessionId", value="s1")
    assert [r["id"] for r in by_session] == ["m1", "m2"]  # by primary key within the value
    assert await db.get_all(MESSAGES, index="sessionId", value="nope") == []
    everything = await db.get_all(MESSAGES, index="sessionId")
    assert [r["id"] for r in everything] == ["m1", "m2", "m3"]  # by index key, then id
    assert [r["id"] for r in await db.get_all(MESSAGES)] == ["m0", "m1", "m2", "m3", "m9"]


async def test_a_failure_while_applying_leaves_nothing_behind() -> None:
    class Dying(MemoryDatabase):
        def _stage_delete(self, staged: Any, store: str, key: Any) -> None:
            raise RuntimeError("the tab died here")

    db = Dying()
    await db.write(puts=[(OUTBOX, {"key": "a"}), (OUTBOX, {"key": "b"})])
    before = db.snapshot()
    with pytest.raises(RuntimeError):
        await db.write(
            puts=[(CHARACTERS, {"id": "c"})], adds=[(OUTBOX, {"key": "c"})], deletes=[(OUTBOX, "a")]
        )
    assert db.snapshot() == before
