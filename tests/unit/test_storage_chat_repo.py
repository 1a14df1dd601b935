"""ChatRepository: round trips, ordering, cascades, one-transaction saves, export and import."""

from __future__ import annotations

import json
from typing import Any

import pytest

from app.models import Character, ChatSession, Message, builtin_characters
from app.outbox import MessageEntry, MessagePayload, SessionEntry, SessionPayload, message_key
from app.outbox import session_key as outbox_session_key
from app.storage.chat_repo import (
    ChatRepository,
    ImportSummary,
    StorageImportError,
)
from app.storage.database import MESSAGES, OUTBOX, DatabaseError, MemoryDatabase
from app.storage.outbox_store import OutboxDbStore

STAMP = "2025-02-03T04:05:06.000Z"


@pytest.fixture
def db() -> MemoryDatabase:
    return MemoryDatabase()


@pytest.fixture
def repo(db: MemoryDatabase) -> ChatRepository:
    return ChatRepository(db, now=lambda: STAMP)


def character(name: str, **fields: Any) -> Character:
    return Character.new(name, now="2025-01-01T00:00:00.000Z", **fields)


def chat_session(character_id: str, updated_at: str, **fields: Any) -> ChatSession:
    made = ChatSession.new(character_id, now="2025-01-01T00:00:00.000Z", **fields)
    return made.touched(updated_at)


def user(session: ChatSession, seq: int, text: str | None = None) -> Message:
    return Message.new(session.id, "user", text or f"hello {seq}", seq=seq, now=STAMP)


def log_entries(session: ChatSession, *messages: Message) -> list[SessionEntry | MessageEntry]:
    entries: list[SessionEntry | MessageEntry] = [
        SessionEntry(
            client_session_id=session.id,
            payload=SessionPayload(
                character_id=session.character_id,
                character_name="Ilse",
                model_id="Qwen3-8B-q4f16_1-MLC",
                created_at=session.created_at,
            ),
        )
    ]
    for m in messages:
        entries.append(
            MessageEntry(
                client_session_id=session.id,
                client_message_id=m.client_message_id(),
                seq=m.seq,
                payload=MessagePayload(role=m.role, content=m.content, created_at=m.created_at),
            )
        )
    return entries


# -- round trips and order ----------------------------------------------------------------------


async def test_characters_round_trip_sorted_by_name(repo: ChatRepository) -> None:
    zed = character("zed", tags=["a"], extensions={"x": {"y": [1, 2]}}, alternate_greetings=["hi"])
    ilse = character("Ilse", description="navigator")
    await repo.save_character(zed)
    await repo.save_character(ilse)
    assert await repo.list_characters() == [ilse, zed]
    assert await repo.get_character(zed.id) == zed
    assert await repo.get_character("missing") is None
    renamed = Character.from_dict({**zed.to_dict(), "name": "Aaron"})
    await repo.save_character(renamed)
    assert await repo.list_characters() == [renamed, ilse]


async def test_sessions_round_trip_newest_first(repo: ChatRepository) -> None:
    alice, bob = character("Alice"), character("Bob")
    old = chat_session(alice.id, "2025-01-02T00:00:00.000Z", title="old", settings={"t": 0.7})
    new = chat_session(alice.id, "2025-01-05T00:00:00.000Z", thinking_enabled=True)
    other = chat_session(bob.id, "2025-01-03T00:00:00.000Z")
    for s in (old, other, new):
        await repo.save_session(s)
    assert await repo.list_sessions() == [new, other, old]
    assert await repo.list_sessions(alice.id) == [new, old]
    assert await repo.list_sessions("nobody") == []
    assert await repo.get_session(old.id) == old


async def test_messages_round_trip_by_seq(repo: ChatRepository) -> None:
    s = chat_session("c", STAMP)
    reply = Message.new(s.id, "assistant", "first", seq=1, reasoning="hmm", stats={"tok": 3})
    reply = reply.with_swipe("second", reasoning="again")
    written = [reply, user(s, 2), user(s, 0)]
    await repo.save_messages(written)
    assert await repo.list_messages(s.id) == [written[2], reply, written[1]]
    assert (await repo.list_messages(s.id))[1].swipes == ["first", "second"]
    assert await repo.list_messages("other") == []


async def test_next_seq(repo: ChatRepository) -> None:
    s = chat_session("c", STAMP)
    assert await repo.next_seq(s.id) == 0
    await repo.save_messages([user(s, 0), user(s, 4)])
    assert await repo.next_seq(s.id) == 5


async def test_settings(repo: ChatRepository) -> None:
    assert await repo.get_setting("theme") is None
    assert await repo.get_setting("theme", "dark") == "dark"
    await repo.set_setting("theme", "light")
    await repo.set_setting("generation", {"temperature": 0.7, "stop": ["\n"]})
    assert await repo.get_setting("theme", "dark") == "light"
    assert await repo.all_settings() == {
        "generation": {"temperature": 0.7, "stop": ["\n"]},
        "theme": "light",
    }
    await repo.set_setting("theme", None)
    assert await repo.get_setting("theme", "dark") is None  # stored None is a value


# -- deletes ------------------------------------------------------------------------------------


async def _world(repo: ChatRepository) -> dict[str, Any]:
    alice, bob = character("Alice"), character("Bob")
    a1, a2 = chat_session(alice.id, STAMP), chat_session(alice.id, STAMP)
    b1 = chat_session(bob.id, STAMP)
    for c in (alice, bob):
        await repo.save_character(c)
    for s in (a1, a2, b1):
        m0, m1 = user(s, 0), user(s, 1)
        await repo.save_messages([m0, m1], session=s, outbox=log_entries(s, m0, m1))
    return {"alice": alice, "bob": bob, "a1": a1, "a2": a2, "b1": b1}


async def test_deleting_a_character_deletes_its_sessions_and_messages_not_its_logs(
    repo: ChatRepository, db: MemoryDatabase
) -> None:
    world = await _world(repo)
    queued = db.snapshot()[OUTBOX]
    await repo.delete_character(world["alice"].id)
    assert await repo.list_characters() == [world["bob"]]
    assert await repo.list_sessions() == [world["b1"]]
    assert {m["session_id"] for m in db.snapshot()[MESSAGES].values()} == {world["b1"].id}
    assert db.snapshot()[OUTBOX] == queued  # the logs are still sent


async def test_deleting_a_session_deletes_its_messages(
    repo: ChatRepository, db: MemoryDatabase
) -> None:
    world = await _world(repo)
    queued = db.snapshot()[OUTBOX]
    await repo.delete_session(world["a1"].id)
    assert {s.id for s in await repo.list_sessions()} == {world["a2"].id, world["b1"].id}
    assert await repo.list_messages(world["a1"].id) == []
    assert len(await repo.list_messages(world["a2"].id)) == 2
    assert db.snapshot()[OUTBOX] == queued


async def test_deleting_one_message(repo: ChatRepository) -> None:
    world = await _world(repo)
    first, second = await repo.list_messages(world["b1"].id)
    await repo.delete_message(first.id)
    assert await repo.list_messages(world["b1"].id) == [second]
    await repo.delete_message("never-there")


# -- save_messages: one transaction -------------------------------------------------------------


async def test_save_messages_writes_messages_session_and_outbox_together(
    repo: ChatRepository, db: MemoryDatabase
) -> None:
    s = chat_session("c", "2025-01-01T00:00:00.000Z")
    m0 = user(s, 0)
    entries = log_entries(s, m0)
    touched = s.touched("2025-03-01T00:00:00.000Z")
    added = await repo.save_messages([m0], session=touched, outbox=entries)
    assert added == [outbox_session_key(s.id), message_key(s.id, m0.id)]
    assert await repo.list_messages(s.id) == [m0]
    assert await repo.get_session(s.id) == touched
    queued = await OutboxDbStore(db).list_entries()
    assert [e.key for e in queued] == added

    # Saving again (an edit, a retry) re-enqueues nothing that is already queued.
    edited = m0.edited("hello, edited")
    assert await repo.save_messages([edited], outbox=entries) == []
    assert await repo.list_messages(s.id) == [edited]
    assert [e.key for e in await OutboxDbStore(db).list_entries()] == added


class FailingDatabase(MemoryDatabase):
    """Fails while writing the outbox part of a transaction (disk full, tab closing)."""

    def _stage(self, staged: Any, store: str, value: Any, kind: str) -> bool:
        if store == OUTBOX:
            raise DatabaseError("QuotaExceededError", "the disk is full")
        return super()._stage(staged, store, value, kind)


async def test_a_failed_save_leaves_neither_messages_nor_outbox_entries() -> None:
    db = FailingDatabase()
    repo = ChatRepository(db)
    s = chat_session("c", STAMP)
    m0 = user(s, 0)
    with pytest.raises(DatabaseError) as caught:
        await repo.save_messages([m0], session=s, outbox=log_entries(s, m0))
    assert caught.value.name == "QuotaExceededError"
    assert await repo.list_messages(s.id) == []
    assert await repo.get_session(s.id) is None
    assert db.snapshot()[OUTBOX] == {}


# -- export and import --------------------------------------------------------------------------


async def _populated(repo: ChatRepository) -> dict[str, Any]:
    world = await _world(repo)
    for builtin in builtin_characters():
        await repo.save_character(builtin)
    s = world["a1"]
    reply = Message.new(s.id, "assistant", "one", seq=2, reasoning="why", stats={"tps": 12.5})
    await repo.save_messages([reply.with_swipe("two", stats={"tps": 11.0})])
    await repo.set_setting("language", "ja")
    await repo.set_setting("generation", {"temperature": 0.6, "nested": [1, {"a": None}]})
    return world


async def test_export_then_import_round_trips_exactly(repo: ChatRepository) -> None:
    await _populated(repo)
    exported = await repo.export_all()
    assert exported["format"] == "character-chat-export"
    assert exported["version"] == 1
    assert exported["exportedAt"] == STAMP
    assert "outbox" not in exported
    assert not any(c["builtin"] for c in exported["characters"])
    assert len(exported["characters"]) == 2
    assert (len(exported["sessions"]), len(exported["messages"])) == (3, 7)
    text = json.dumps(exported)  # JSON-ready

    fresh = ChatRepository(MemoryDatabase(), now=lambda: STAMP)
    summary = await fresh.import_all(json.loads(text))
    assert summary == ImportSummary(characters=2, sessions=3, messages=7, settings=2)
    assert await fresh.export_all() == exported


async def test_import_merges_by_id(repo: ChatRepository) -> None:
    world = await _populated(repo)
    exported = await repo.export_all()
    other = ChatRepository(MemoryDatabase())
    mine = character("Only here")
    stale = Character.from_dict({**world["alice"].to_dict(), "name": "Old Alice"})
    await other.save_character(mine)
    await other.save_character(stale)
    await other.import_all(exported)
    names = [c.name for c in await other.list_characters()]
    assert names == ["Alice", "Bob", "Only here"]


def _valid_export() -> dict[str, Any]:
    s = chat_session("c1", STAMP)
    return {
        "format": "character-chat-export",
        "version": 1,
        "exportedAt": STAMP,
        "characters": [character("A").to_dict(), character("B").to_dict()],
        "sessions": [s.to_dict()],
        "messages": [user(s, 0).to_dict(), user(s, 1).to_dict()],
        "settings": {"language": "en"},
    }


def _broken(change: Any) -> dict[str, Any]:
    data = _valid_export()
    change(data)
    return data


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        pytest.param(["not", "an", "object"], "not a Character Chat export", id="not-an-object"),
        pytest.param(_broken(lambda d: d.update(format="other")), "wrong format", id="format"),
        pytest.param(_broken(lambda d: d.update(version=2)), "version 2", id="newer-version"),
        pytest.param(_broken(lambda d: d.update(version="1")), "version", id="version-type"),
        pytest.param(
            _broken(lambda d: d.update(characters={"a": 1})),
            "characters must be a list",
            id="characters-not-a-list",
        ),
        pytest.param(
            _broken(lambda d: d["characters"][1].update(name=5)),
            "characters[1]: name must be text",
            id="character-field",
        ),
        pytest.param(
            _broken(lambda d: d["sessions"][0].pop("id")),
            "sessions[0]: a stored chat session has no id",
            id="session-without-id",
        ),
        pytest.param(
            _broken(lambda d: d["messages"][1].update(role="robot")),
            "messages[1]: role must be one of",
            id="message-role",
        ),
        pytest.param(
            _broken(lambda d: d["messages"][0].update(swipe_index=3)),
            "messages[0]: swipe_index 3",
            id="message-swipe-index",
        ),
        pytest.param(
            _broken(lambda d: d["messages"][0].update(session_id="elsewhere")),
            "messages[0]: its chat session 'elsewhere'",
            id="orphan-message",
        ),
        pytest.param(
            _broken(lambda d: d["characters"].append(dict(d["characters"][0]))),
            "appears twice",
            id="duplicate-id",
        ),
        pytest.param(
            _broken(lambda d: d.update(settings=["x"])), "settings must be an object", id="settings"
        ),
        pytest.param(
            _broken(lambda d: d["settings"].update(bad=float("nan"))),
            "settings.bad must be a finite number",
            id="settings-nan",
        ),
    ],
)
async def test_a_malformed_import_changes_nothing_and_says_why(
    repo: ChatRepository, db: MemoryDatabase, data: Any, fragment: str
) -> None:
    await _populated(repo)
    before = db.snapshot()
    with pytest.raises(StorageImportError) as caught:
        await repo.import_all(data)
    assert fragment in str(caught.value)
    assert db.snapshot() == before


async def test_import_accepts_messages_of_a_session_already_on_the_device(
    repo: ChatRepository,
) -> None:
    world = await _world(repo)
    data = _valid_export()
    extra = user(world["b1"], 9, "restored")
    data["messages"].append(extra.to_dict())
    await repo.import_all(data)
    assert (await repo.list_messages(world["b1"].id))[-1] == extra


async def test_import_of_an_empty_export(repo: ChatRepository) -> None:
    summary = await repo.import_all({"format": "character-chat-export", "version": 1})
    assert summary == ImportSummary(0, 0, 0, 0)


async def test_deleting_a_message_writes_the_sessions_new_preview_with_it(
    repo: ChatRepository,
) -> None:
    from app.conversation import with_preview

    session = ChatSession.new("c", now=STAMP)
    first = Message.new(session.id, "user", "kept", seq=0)
    second = Message.new(session.id, "assistant", "deleted", seq=1)
    await repo.save_messages([first, second], session=with_preview(session, [first, second]))
    await repo.delete_message(second.id, session=with_preview(session, [first]))
    stored = await repo.get_session(session.id)
    assert stored is not None
    assert stored.preview == "kept"
    assert [m.id for m in await repo.list_messages(session.id)] == [first.id]
