"""Local data belongs to an account: lists, the outbox, adoption, removal, export and import
each see only the current owner's; unreadable records are set aside instead of stopping the
app; nothing is written that would not read back."""

from __future__ import annotations

from typing import Any

import pytest

from app.models import Character, ChatSession, Message, ModelError
from app.storage.chat_repo import ChatRepository
from app.storage.database import (
    CHARACTERS,
    OUTBOX,
    SESSION_MAP,
    SESSIONS,
    UNREADABLE_KEY,
    MemoryDatabase,
)
from app.storage.outbox_store import OutboxDbStore
from app.storage.owner import NOBODY, Owner
from tests.support.outbox_doubles import FakeClock
from tests.unit.test_outbox_sync import NOW, FakeServer, make_worker
from tests.unit.test_storage_chat_repo import log_entries, user

ALICE = "11111111-1111-4111-8111-111111111111"
BOB = "22222222-2222-4222-8222-222222222222"


@pytest.fixture
def owner() -> Owner:
    return Owner()


@pytest.fixture
def db() -> MemoryDatabase:
    return MemoryDatabase()


@pytest.fixture
def repo(db: MemoryDatabase, owner: Owner) -> ChatRepository:
    return ChatRepository(db, owner=owner)


async def _chat(repo: ChatRepository, text: str) -> ChatSession:
    """A chat of the current owner with one logged message."""
    session = ChatSession.new("char-1", title=text, owner=repo.owner.account)
    message = user(session, 0, text)
    await repo.save_messages([message], session=session, outbox=log_entries(session, message))
    return session


async def test_each_account_sees_only_its_own_chats(repo: ChatRepository, owner: Owner) -> None:
    owner.account = ALICE
    alices = await _chat(repo, "alice's")
    owner.account = BOB
    bobs = await _chat(repo, "bob's")
    assert [s.id for s in await repo.list_sessions()] == [bobs.id]
    assert [s.id for s in await repo.list_sessions("char-1")] == [bobs.id]
    owner.account = NOBODY
    assert await repo.list_sessions() == []
    owner.account = ALICE
    assert [s.id for s in await repo.list_sessions()] == [alices.id]


async def test_the_outbox_holds_only_the_owners_entries(
    db: MemoryDatabase, repo: ChatRepository, owner: Owner
) -> None:
    owner.account = ALICE
    alices = await _chat(repo, "alice's")
    owner.account = NOBODY
    await _chat(repo, "while logged out")
    owner.account = BOB
    store = OutboxDbStore(db, owner=owner)
    clock = FakeClock(NOW)
    server = FakeServer(clock)
    worker = make_worker(store, server, clock)
    await worker.flush()
    assert server.sessions == {}  # neither Alice's entries nor the logged-out ones go as Bob
    assert await repo.unsent_of(ALICE) == 2
    assert await repo.unsent_of(NOBODY) == 2
    owner.account = ALICE
    await worker.flush()
    assert set(server.sessions) == {alices.id}
    assert await repo.unsent_of(ALICE) == 0


async def test_a_reply_saved_after_logout_stays_the_old_accounts(
    db: MemoryDatabase, repo: ChatRepository, owner: Owner
) -> None:
    owner.account = ALICE
    session = await _chat(repo, "hi")
    owner.account = NOBODY  # logged out while the reply streamed
    reply = Message.new(session.id, "assistant", "hello", seq=1)
    await repo.save_messages([reply], outbox=log_entries(session, reply)[1:])
    assert await repo.unsent_of(ALICE) == 3
    assert await repo.unsent_of(NOBODY) == 0


async def test_an_update_by_the_worker_keeps_the_entrys_owner(
    db: MemoryDatabase, repo: ChatRepository, owner: Owner
) -> None:
    owner.account = ALICE
    await _chat(repo, "hi")
    store = OutboxDbStore(db, owner=owner)
    entries = await store.list_entries()
    owner.account = NOBODY  # logout during a flush
    await store.apply(update=[entry.rescheduled(NOW + 60, None) for entry in entries])
    assert await repo.unsent_of(ALICE) == 2


async def test_adopting_gives_logged_out_chats_and_entries_to_the_account(
    db: MemoryDatabase, repo: ChatRepository, owner: Owner
) -> None:
    anonymous = await _chat(repo, "before login")
    owner.account = BOB
    assert await repo.list_sessions() == []
    assert await repo.adopt(BOB) == 1
    assert [s.id for s in await repo.list_sessions()] == [anonymous.id]
    assert await repo.unsent_of(BOB) == 2
    assert await repo.unsent_of(NOBODY) == 0


async def test_a_turn_saved_from_a_copy_read_before_adoption_stays_adopted(
    db: MemoryDatabase, repo: ChatRepository, owner: Owner
) -> None:
    stale = ChatSession.new("char-1", owner=NOBODY)  # the open chat, as read before login
    await repo.save_messages([Message.new(stale.id, "assistant", "Hello!", seq=0)], session=stale)
    owner.account = BOB
    assert await repo.adopt(BOB, written=False) == 1
    turn = user(stale, 1, "sent right after logging in")
    await repo.save_messages([turn], session=stale.touched(), outbox=log_entries(stale, turn))
    assert [s.id for s in await repo.list_sessions()] == [stale.id]
    assert await repo.unsent_of(BOB) == 2
    assert await repo.unsent_of(NOBODY) == 0


async def test_untouched_chats_join_without_asking_written_ones_wait(
    db: MemoryDatabase, repo: ChatRepository, owner: Owner
) -> None:
    greeting_only = ChatSession.new("char-1", owner=NOBODY)
    hello = Message.new(greeting_only.id, "assistant", "Hello!", seq=0)
    await repo.save_messages([hello], session=greeting_only)
    written = await _chat(repo, "I wrote this")
    assert [s.id for s in await repo.written_while_logged_out()] == [written.id]
    assert await repo.adopt(BOB, written=False) == 1
    owner.account = BOB
    assert [s.id for s in await repo.list_sessions()] == [greeting_only.id]
    assert await repo.unsent_of(NOBODY) == 2  # the written chat's logs still wait for an answer
    assert [s.id for s in await repo.written_while_logged_out()] == [written.id]


async def test_removing_an_accounts_data_leaves_the_others(
    db: MemoryDatabase, repo: ChatRepository, owner: Owner
) -> None:
    owner.account = ALICE
    alices = await _chat(repo, "alice's")
    await db.write(puts=[(SESSION_MAP, {"clientSessionId": alices.id, "serverSessionId": "s1"})])
    owner.account = BOB
    bobs = await _chat(repo, "bob's")
    assert await repo.remove_account_data(ALICE) == 1
    assert await repo.sessions_of(ALICE) == []
    assert await repo.list_messages(alices.id) == []
    assert await repo.unsent_of(ALICE) == 0
    assert await db.get(SESSION_MAP, alices.id) is None
    assert [s.id for s in await repo.list_sessions()] == [bobs.id]
    assert len(await repo.list_messages(bobs.id)) == 1
    assert await repo.unsent_of(BOB) == 2


async def test_export_holds_only_the_current_accounts_chats_and_import_is_theirs(
    repo: ChatRepository, owner: Owner
) -> None:
    owner.account = ALICE
    await _chat(repo, "alice's")
    owner.account = BOB
    bobs = await _chat(repo, "bob's")
    exported = await repo.export_all()
    assert [s["id"] for s in exported["sessions"]] == [bobs.id]
    assert {m["session_id"] for m in exported["messages"]} == {bobs.id}
    other = ChatRepository(MemoryDatabase(), owner=Owner(ALICE))
    await other.import_all(exported)
    assert [(s.id, s.owner) for s in await other.list_sessions()] == [(bobs.id, ALICE)]


async def test_characters_belong_to_their_account_built_ins_to_everyone(
    repo: ChatRepository, owner: Owner
) -> None:
    shared = Character.new("Built in", builtin=True)
    await repo.save_character(shared)
    owner.account = ALICE
    alices = Character.new("Alice's card")
    await repo.save_character(alices)
    owner.account = NOBODY
    anonymous = Character.new("Made logged out")
    await repo.save_character(anonymous)
    assert {c.name for c in await repo.list_characters()} == {"Built in", "Made logged out"}
    owner.account = BOB
    assert {c.name for c in await repo.list_characters()} == {"Built in"}
    assert [c.name for c in await repo.written_while_logged_out()] == ["Made logged out"]
    assert await repo.adopt(BOB, written=False) == 0  # a character is always the user's work
    assert {c.name for c in await repo.list_characters()} == {"Built in"}
    await repo.adopt(BOB)
    assert {c.name for c in await repo.list_characters()} == {"Built in", "Made logged out"}
    owner.account = ALICE
    assert {c.name for c in await repo.list_characters()} == {"Built in", "Alice's card"}
    await repo.remove_account_data(ALICE)
    assert {c.name for c in await repo.list_characters()} == {"Built in"}


# -- records that cannot be read ------------------------------------------------------------


async def test_an_unreadable_record_is_set_aside_and_the_rest_loads(
    db: MemoryDatabase, repo: ChatRepository
) -> None:
    good = await _chat(repo, "fine")
    bad: dict[str, Any] = {**good.to_dict(), "id": "broken", "settings": "not an object"}
    stand_in = {UNREADABLE_KEY: "its JSON is nested too deeply", "raw": "[[[["}
    await db.write(puts=[(SESSIONS, bad), (CHARACTERS, {"id": "c-bad", "name": 7})])
    assert await repo.scan() == 2
    sessions = await repo.list_sessions()
    assert [s.id for s in sessions] == [good.id]
    assert await repo.list_characters() == []
    repo._put_aside(SESSIONS, stand_in, ValueError("unused"))
    aside = {(item.store, item.key) for item in repo.set_aside.values()}
    assert aside == {(SESSIONS, "broken"), (CHARACTERS, "c-bad"), (SESSIONS, None)}
    exported = repo.set_aside_export()
    assert {r["store"] for r in exported["records"]} == {SESSIONS, CHARACTERS}
    assert any(r["record"] == "[[[[" for r in exported["records"])
    assert await repo.drop_set_aside() == 2
    assert await db.get(SESSIONS, "broken") is None
    assert await db.get(CHARACTERS, "c-bad") is None
    assert await db.get(SESSIONS, good.id) is not None


async def test_a_record_that_would_not_read_back_is_never_written(
    db: MemoryDatabase, repo: ChatRepository
) -> None:
    broken = Character.new("Odd")
    object.__setattr__(broken, "card_extra", "not an object")
    with pytest.raises(ModelError):
        await repo.save_character(broken)
    assert await db.get_all(CHARACTERS) == []
    assert await db.get_all(OUTBOX) == []


async def test_a_card_with_a_constructor_key_round_trips(repo: ChatRepository) -> None:
    card = Character.new(
        "x", card_extra={"constructor": {"x": 1}, "extensions": {"constructor": 2}}
    )
    await repo.save_character(card)
    (loaded,) = await repo.list_characters()
    assert loaded.card_extra == {"constructor": {"x": 1}, "extensions": {"constructor": 2}}
