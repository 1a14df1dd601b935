"""Restore: the server's log merged into local history by client ids, never duplicated.

The "server" here is what it would hold after the app's own flows were flushed: local records
are built with the app's operations (``with_swipe``, ``edited``), logged with
``conversation.log_entries``, and each entry becomes a row the way the API answers it (random
server ids, RFC 3339 in the server's spelling).
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from app.conversation import log_entries, preview_line
from app.models import Character, ChatSession, Message, builtin_characters
from app.outbox.entries import MessageEntry
from app.outbox.ports import NetworkError, Response
from app.restore import (
    MESSAGES_PAGE,
    PLACEHOLDER_DESCRIPTION,
    SESSIONS_PAGE,
    RestorePlan,
    merge_remote,
    messages_path,
    pull_history,
    restored_message_id,
    sessions_path,
)
from app.storage.chat_repo import ChatRepository
from app.storage.database import OUTBOX, MemoryDatabase

MODEL = "Qwen3-8B-q4f16_1-MLC"
ILSE = builtin_characters()[0]
T0 = "2025-03-01T10:00:00.000Z"
T1 = "2025-03-01T10:01:00.000Z"
T2 = "2025-03-01T10:02:00.500Z"
T3 = "2025-03-01T10:03:00.000Z"
T4 = "2025-03-01T10:04:00.000Z"


def server_time(stamp: str) -> str:
    """How the server spells a stored timestamp (msgspec: ``...:00Z`` or ``...:00.500000Z``)."""
    whole, _, millis = stamp.removesuffix("Z").partition(".")
    return f"{whole}Z" if int(millis or 0) == 0 else f"{whole}.{millis}000Z"


# --- a device's history and what the server logged from it ------------------------------------


@dataclass
class Device:
    """One browser's history, built with the app's own operations, and every log entry."""

    character: Character
    session: ChatSession
    messages: dict[str, Message] = field(default_factory=dict)
    entries: list[MessageEntry] = field(default_factory=list)

    def log(self, message: Message, *, edited: bool = False, with_greeting: bool = False) -> None:
        logged = [m for m in self.messages.values() if m.seq == 0] if with_greeting else []
        self.messages[message.id] = message
        for entry in log_entries(
            self.session, self.character, [*logged, message], model_id=MODEL, edited=edited
        ):
            if isinstance(entry, MessageEntry):
                self.entries.append(entry)

    @property
    def local(self) -> list[Message]:
        return sorted(self.messages.values(), key=lambda m: m.seq)


def chat(character: Character = ILSE, *, now: str = T0, title: str = "Hi") -> Device:
    """A chat with the greeting (two swipes, only the shown one gets logged) and one exchange."""
    session = ChatSession.new(character.id, title=title, now=now, model_id=MODEL)
    device = Device(character, session)
    greeting = Message(
        id=str(uuid.uuid4()),
        session_id=session.id,
        role="assistant",
        swipes=["Welcome aboard.", "Night watch."],
        seq=0,
        created_at=now,
    )
    device.messages[greeting.id] = greeting
    device.log(Message.new(session.id, "user", "Hi", seq=1, now=T1), with_greeting=True)
    device.log(
        Message.new(session.id, "assistant", "Hello there.", seq=2, now=T2, stats={"tok": 3})
    )
    return device


def regenerated_and_edited(device: Device) -> Message:
    """The reply at seq 2 regenerated (a derived id), that version edited (an edit id)."""
    reply = next(m for m in device.messages.values() if m.seq == 2)
    reply = reply.with_swipe("Second take.", stats={"tok": 5})
    device.log(reply)
    reply = reply.edited("Second take, edited.")
    device.log(reply, edited=True)
    return reply


def swiped_and_flipped_back(device: Device) -> None:
    """Two more versions of the reply, each logged, then the first one shown again (no log)."""
    reply = next(m for m in device.messages.values() if m.seq == 2)
    for text in ("B", "C"):
        reply = reply.with_swipe(text)
        device.log(reply)
    device.messages[reply.id] = reply.selecting(0)


def remote_session(
    device: Device, *, server_id: str | None = None, updated_at: str = T4
) -> dict[str, Any]:
    session = device.session
    return {
        "id": server_id or str(uuid.uuid5(uuid.NAMESPACE_DNS, session.id)),
        "clientSessionId": session.id,
        "characterId": session.character_id,
        "characterName": device.character.name,
        "modelId": session.model_id or "unknown",
        "title": session.title or None,
        "createdAt": server_time(session.created_at),
        "updatedAt": server_time(updated_at),
    }


def remote_rows(device: Device, *, seed: int = 0) -> list[dict[str, Any]]:
    """The rows the server stores (one per clientMessageId), in its (seq, random id) order."""
    rng = random.Random(seed)
    server_id = remote_session(device)["id"]
    rows: dict[str, dict[str, Any]] = {}
    for entry in device.entries:
        rows.setdefault(
            entry.client_message_id,
            {
                "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "clientMessageId": entry.client_message_id,
                "sessionId": server_id,
                "role": entry.payload.role,
                "content": entry.payload.content,
                "seq": entry.seq,
                "createdAt": server_time(entry.payload.created_at),
                "modelId": entry.payload.model_id,
                "stats": dict(entry.payload.stats) if entry.payload.stats else None,
            },
        )
    return sorted(rows.values(), key=lambda row: (row["seq"], row["id"]))


def merge(
    local: tuple[list[Character], list[ChatSession], list[Message]], *devices: Device, seed: int = 0
) -> RestorePlan:
    return merge_remote(
        *local,
        [remote_session(d) for d in devices],
        {remote_session(d)["id"]: remote_rows(d, seed=seed) for d in devices},
    )


NOTHING: tuple[list[Character], list[ChatSession], list[Message]] = ([], [], [])


def everything(*devices: Device) -> tuple[list[Character], list[ChatSession], list[Message]]:
    characters = {d.character.id: d.character for d in devices}
    return (
        list(characters.values()),
        [d.session for d in devices],
        [m for d in devices for m in d.local],
    )


def apply(
    local: tuple[list[Character], list[ChatSession], list[Message]], plan: RestorePlan
) -> tuple[list[Character], list[ChatSession], list[Message]]:
    """The local state after writing the plan (records are put by id, as IndexedDB does)."""
    characters = {c.id: c for c in local[0]} | {c.id: c for c in plan.characters}
    sessions = {s.id: s for s in local[1]} | {s.id: s for s in plan.sessions}
    messages = {m.id: m for m in local[2]} | {m.id: m for m in plan.messages}
    return list(characters.values()), list(sessions.values()), list(messages.values())


# --- merge_remote -----------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [pytest.param(s, id=f"server-order-{s}") for s in range(6)])
def test_fresh_browser_gets_everything_with_swipes_rebuilt(seed: int) -> None:
    device = chat()
    regenerated_and_edited(device)
    plan = merge(NOTHING, device, seed=seed)

    assert plan.characters == [ILSE]  # a built-in: its own record, not a placeholder
    [session] = plan.sessions
    assert (session.id, session.character_id, session.title, session.model_id) == (
        device.session.id,
        ILSE.id,
        "Hi",
        MODEL,
    )
    assert (session.created_at, session.updated_at) == (T0, T4)
    assert [(m.seq, m.role) for m in plan.messages] == [
        (0, "assistant"),
        (1, "user"),
        (2, "assistant"),
    ]
    greeting, hello, reply = plan.messages
    assert greeting.swipes == ["Welcome aboard."]  # only the shown greeting was logged
    assert hello.swipes == ["Hi"]
    assert hello.created_at == T1
    # Whatever order the server's random ids give, the versions come back in the order made.
    assert reply.swipes == ["Hello there.", "Second take.", "Second take, edited."]
    assert reply.swipe_index == 2
    assert reply.content == "Second take, edited."
    assert reply.reasoning == ["", "", ""]
    assert reply.created_at == T2
    assert reply.stats == {"tok": 5}
    assert all(m.session_id == device.session.id for m in plan.messages)
    assert len({m.id for m in plan.messages}) == 3
    assert plan.skipped == 0


def test_restored_ids_are_stable_and_never_a_logged_id() -> None:
    device = chat()
    plan = merge(NOTHING, device)
    logged = {entry.client_message_id for entry in device.entries}
    assert not {m.id for m in plan.messages} & logged
    first = device.local[1]
    assert plan.messages[1].id == restored_message_id(device.session.id, first.id)
    assert merge(NOTHING, device, seed=9).messages == plan.messages


@pytest.mark.parametrize(
    "history",
    [
        pytest.param(lambda d: None, id="plain"),
        pytest.param(regenerated_and_edited, id="two-swipes-and-an-edit"),
        pytest.param(
            lambda d: d.log(next(m for m in d.local if m.seq == 1).edited("Hey!"), edited=True),
            id="edited-user-message",
        ),
        pytest.param(
            lambda d: [
                d.log(next(m for m in d.local if m.seq == 2).edited(text), edited=True)
                for text in ("one", "two", "three")
            ],
            id="edited-three-times",
        ),
        pytest.param(swiped_and_flipped_back, id="flipped-back-after-swipes"),
    ],
)
def test_same_browser_writes_nothing(history: Any) -> None:
    device = chat()
    history(device)
    plan = merge(everything(device), device)
    assert plan == RestorePlan()
    assert plan.empty


def test_partial_overlap_adds_only_what_is_missing() -> None:
    device = chat()
    old_local = everything(device)  # this browser knew the chat up to the first reply...
    reply = next(m for m in device.local if m.seq == 2)
    # ...then, on another device, the reply got another version and the chat went on.
    other = Message(
        id=str(uuid.uuid4()),
        session_id=reply.session_id,
        role="assistant",
        swipes=["Hello there.", "From the phone."],
        swipe_index=1,
        seq=2,
        created_at=T2,
    )
    device.log(other)
    device.log(Message.new(device.session.id, "user", "More?", seq=3, now=T3))
    device.log(Message.new(device.session.id, "assistant", "Sure.", seq=4, now=T4))
    second = chat(title="Another")

    plan = merge(old_local, device, second)

    assert plan.characters == []
    assert plan.sessions == [replace_title(second.session)]
    grown = next(m for m in plan.messages if m.id == reply.id)
    assert grown.swipes == ["Hello there.", "From the phone."]
    assert grown.swipe_index == reply.swipe_index  # what this browser showed stays shown
    assert grown.stats == reply.stats
    assert grown.created_at == reply.created_at
    mine = [(m.seq, m.swipes[-1]) for m in plan.messages if m.session_id == device.session.id]
    assert mine == [(2, "From the phone."), (3, "More?"), (4, "Sure.")]
    assert len([m for m in plan.messages if m.session_id == second.session.id]) == 3


def replace_title(session: ChatSession) -> ChatSession:
    """A session as a restore makes it: what the server keeps (``updatedAt`` is the server's)."""
    return ChatSession(
        id=session.id,
        character_id=session.character_id,
        title=session.title,
        created_at=session.created_at,
        updated_at=T4,
        model_id=session.model_id,
    )


def test_local_edits_and_shown_swipe_are_never_overwritten() -> None:
    device = chat()
    reply = regenerated_and_edited(device)
    local = everything(device)
    flipped = reply.flipped(-1).edited("Mine, not logged yet.")
    local = (local[0], local[1], [flipped if m.id == reply.id else m for m in local[2]])
    # "Hello there." and "Second take." are not held here any more (edited), but their rows
    # are ones this message logged, so the edits are kept and the old texts do not come back.
    assert merge(local, device) == RestorePlan()


def test_a_message_sent_again_at_the_same_seq_keeps_both_texts_as_versions() -> None:
    device = chat()
    # Deleted here and sent again: two messages logged at seq 1, minutes apart.
    device.log(Message.new(device.session.id, "user", "Hi again", seq=1, now=T3))
    plan = merge(NOTHING, device)
    hello = next(m for m in plan.messages if m.seq == 1)
    assert hello.swipes == ["Hi", "Hi again"]
    assert hello.content == "Hi again"
    assert hello.created_at == T1


CUSTOM = Character.new("Mira", now=T0, description="A local card.")


@pytest.mark.parametrize(
    ("characters", "made"),
    [
        pytest.param([], 1, id="missing"),
        pytest.param([ILSE], 1, id="only-another-character-here"),
        pytest.param([CUSTOM], 0, id="present"),
        pytest.param(
            [Character(id=CUSTOM.id, name="Renamed here", description="mine")], 0, id="renamed"
        ),
    ],
)
def test_placeholder_characters_only_when_missing(characters: list[Character], made: int) -> None:
    device = chat(CUSTOM)
    plan = merge((characters, [], []), device)
    assert [c.id for c in plan.characters] == [CUSTOM.id] * made
    for placeholder in plan.characters:
        assert placeholder.name == "Mira"
        assert placeholder.description == PLACEHOLDER_DESCRIPTION
        assert not placeholder.builtin
        assert placeholder.created_at == T0


def test_sessions_from_several_characters() -> None:
    mira = chat(CUSTOM, now=T0, title="with Mira")
    mira_again = chat(CUSTOM, now=T1, title="Mira again")
    ilse = chat(ILSE, now=T2, title="with Ilse")
    plan = merge(NOTHING, ilse, mira, mira_again)
    assert sorted(c.id for c in plan.characters) == sorted([CUSTOM.id, ILSE.id])
    assert [(s.title, s.character_id) for s in plan.sessions] == [
        ("with Mira", CUSTOM.id),
        ("Mira again", CUSTOM.id),
        ("with Ilse", ILSE.id),
    ]
    by_session = {s.id: [m for m in plan.messages if m.session_id == s.id] for s in plan.sessions}
    assert all(len(messages) == 3 for messages in by_session.values())


@pytest.mark.parametrize(
    "start",
    [
        pytest.param("fresh", id="fresh-browser"),
        pytest.param("partial", id="partial-overlap"),
        pytest.param("edited", id="local-edits"),
    ],
)
def test_idempotent(start: str) -> None:
    device = chat()
    second = chat(CUSTOM, now=T1)
    local = NOTHING
    if start == "partial":
        local = everything(device)
    reply = regenerated_and_edited(device)
    if start == "edited":
        local = everything(device)
        edited = reply.flipped(-1).edited("Changed here.")
        local = (local[0], local[1], [edited if m.id == reply.id else m for m in local[2]])
    plan = merge(local, device, second)
    assert not plan.empty
    after = apply(local, plan)
    assert merge(after, device, second, seed=3) == RestorePlan()
    assert len(after[2]) == len({(m.session_id, m.seq, m.role) for m in after[2]})


def test_deterministic() -> None:
    devices = [chat(), chat(CUSTOM, now=T1)]
    for device in devices:
        regenerated_and_edited(device)
    sessions = [remote_session(d) for d in devices]
    rows = {remote_session(d)["id"]: remote_rows(d) for d in devices}
    first = merge_remote([], [], [], sessions, rows)
    again = merge_remote([], [], [], list(reversed(sessions)), rows)
    assert first == again


def test_wire_details() -> None:
    device = chat()
    session = remote_session(device) | {
        "title": None,
        "modelId": "unknown",
        "createdAt": "2025-03-01T12:00:00+02:00",
        "updatedAt": "2025-03-01T10:00:00.123456Z",
    }
    rows = remote_rows(device)
    bad = [
        {"nope": 1},
        rows[0] | {"role": "system"},
        rows[0] | {"seq": True},
        rows[0] | {"seq": -1},
        rows[0] | {"content": 5},
        rows[0] | {"stats": [1]},
        "text",
    ]
    plan = merge_remote([], [], [], [session, {"id": "x"}, None], {session["id"]: rows + bad})
    [made] = plan.sessions
    assert (made.title, made.model_id) == ("", "")
    assert (made.created_at, made.updated_at) == (
        "2025-03-01T10:00:00.000Z",
        "2025-03-01T10:00:00.123Z",
    )
    assert len(plan.messages) == 3
    assert plan.skipped == len(bad) + 2


def test_messages_keyed_by_client_session_id_also_work() -> None:
    device = chat()
    plan = merge_remote(
        [ILSE], [], [], [remote_session(device)], {device.session.id: remote_rows(device)}
    )
    assert len(plan.messages) == 3


# --- paths ------------------------------------------------------------------------------------


def test_paths() -> None:
    assert sessions_path() == f"/api/v1/character-chat/sessions?limit={SESSIONS_PAGE}"
    assert sessions_path("ab_-C") == "/api/v1/character-chat/sessions?limit=100&cursor=ab_-C"
    assert sessions_path("a/b+c").endswith("cursor=a%2Fb%2Bc")
    assert messages_path("s-1") == (
        f"/api/v1/character-chat/sessions/s-1/messages?afterSeq=-1&limit={MESSAGES_PAGE}"
    )
    assert messages_path("s-1", 7, limit=2).endswith("messages?afterSeq=7&limit=2")


# --- pull_history against a fake server -------------------------------------------------------


class FakeServer:
    """Pages like the real API (smaller pages), records every request, can fail on demand."""

    def __init__(self, *devices: Device, page: int = 2) -> None:
        self.sessions = [remote_session(d) for d in devices]
        self.rows = {remote_session(d)["id"]: remote_rows(d) for d in devices}
        self.page = page
        self.requests: list[str] = []
        self.fail_at: int | None = None
        self.fail_with: Response | None = None

    async def send(self, method: str, path: str) -> Response:
        assert method == "GET"
        self.requests.append(path)
        if self.fail_at is not None and len(self.requests) > self.fail_at:
            if self.fail_with is None:
                raise NetworkError("TypeError: Failed to fetch")
            return self.fail_with
        url = urlsplit(path)
        query = {key: values[0] for key, values in parse_qs(url.query).items()}
        if url.path == "/api/v1/character-chat/sessions":
            start = int(query.get("cursor", "0").removeprefix("c") or 0)
            items = self.sessions[start : start + self.page]
            more = start + self.page < len(self.sessions)
            return Response(
                200, {}, {"items": items, "nextCursor": f"c{start + self.page}" if more else None}
            )
        session_id = url.path.split("/")[-2]
        if session_id not in self.rows:
            return Response(404, {}, {"code": "not_found", "message": "No such session."})
        after = int(query["afterSeq"])
        rows = [r for r in self.rows[session_id] if r["seq"] > after]
        seqs = sorted({r["seq"] for r in rows})[: self.page]
        page = [r for r in rows if r["seq"] in seqs]
        more = len(seqs) == self.page and any(r["seq"] > seqs[-1] for r in rows)
        return Response(200, {}, {"items": page, "nextAfterSeq": seqs[-1] if more else None})


@pytest.fixture
def db() -> MemoryDatabase:
    return MemoryDatabase()


@pytest.fixture
def repo(db: MemoryDatabase) -> ChatRepository:
    return ChatRepository(db, now=lambda: T4)


def three_chats() -> list[Device]:
    chats = [chat(), chat(CUSTOM, now=T1, title="Mira"), chat(CUSTOM, now=T2, title="Mira 2")]
    regenerated_and_edited(chats[0])
    return chats


async def test_pull_history_restores_everything_without_outbox_entries(
    repo: ChatRepository, db: MemoryDatabase
) -> None:
    chats = three_chats()
    server = FakeServer(*chats)
    summary = await pull_history(repo, server.send)
    assert summary.complete
    assert summary.error is None
    assert summary.status is None
    assert (summary.remote_sessions, summary.sessions, summary.characters, summary.messages) == (
        3,
        3,
        2,
        9,
    )
    assert await db.get_all(OUTBOX) == []
    assert sum(p.startswith(sessions_path().split("?")[0] + "?") for p in server.requests) == 2
    for device in chats:
        restored = await repo.list_messages(device.session.id)
        assert [m.seq for m in restored] == [0, 1, 2]
        assert restored[1].content == "Hi"
        session = await repo.get_session(device.session.id)
        assert session is not None
        assert session.preview == preview_line(restored)  # the sidebar reads no messages
    reply = (await repo.list_messages(chats[0].session.id))[2]
    assert reply.swipes == ["Hello there.", "Second take.", "Second take, edited."]
    assert {c.id for c in await repo.list_characters()} == {ILSE.id, CUSTOM.id}

    again = await pull_history(repo, server.send)
    assert again.complete
    assert (again.sessions, again.characters, again.messages) == (0, 0, 0)


async def test_pull_history_on_the_same_browser_writes_nothing(
    repo: ChatRepository, db: MemoryDatabase
) -> None:
    device = chat()
    regenerated_and_edited(device)
    await repo.save_character(ILSE)
    await repo.save_messages(device.local, session=device.session)
    before = db.snapshot()
    summary = await pull_history(repo, FakeServer(device).send)
    assert summary.complete
    assert (summary.sessions, summary.messages) == (0, 0)
    assert db.snapshot() == before


@pytest.mark.parametrize(
    ("fail_with", "status", "words"),
    [
        pytest.param(None, None, "could not be reached", id="network"),
        pytest.param(
            Response(401, {}, {"code": "unauthenticated", "message": "Log in first."}),
            401,
            "Log in first.",
            id="401",
        ),
        pytest.param(Response(503, {}, None), 503, "503", id="503"),
        pytest.param(Response(200, {}, "<html>"), 200, "not a page", id="not-json"),
    ],
)
async def test_pull_history_stops_and_keeps_what_was_done(
    repo: ChatRepository, fail_with: Response | None, status: int | None, words: str
) -> None:
    chats = three_chats()
    server = FakeServer(*chats, page=100)
    server.fail_at, server.fail_with = 3, fail_with  # sessions, messages x2, then it fails
    summary = await pull_history(repo, server.send)
    assert not summary.complete
    assert summary.status == status
    assert words in (summary.error or "")
    assert (summary.remote_sessions, summary.sessions, summary.messages) == (3, 2, 6)
    assert len(await repo.list_sessions()) == 2

    server.fail_at = None
    rest = await pull_history(repo, server.send)
    assert rest.complete
    assert (rest.sessions, rest.messages) == (1, 3)


async def test_pull_history_fails_on_the_session_list(repo: ChatRepository) -> None:
    server = FakeServer(chat())
    server.fail_at = 0
    summary = await pull_history(repo, server.send)
    assert summary.error
    assert (summary.remote_sessions, summary.sessions) == (0, 0)
    assert await repo.list_sessions() == []


async def test_pull_history_refuses_pages_that_do_not_move(repo: ChatRepository) -> None:
    async def stuck(method: str, path: str) -> Response:
        if "/messages" in path:
            return Response(200, {}, {"items": [], "nextAfterSeq": -1})
        return Response(200, {}, {"items": [remote_session(chat())], "nextCursor": None})

    summary = await pull_history(repo, stuck)
    assert summary.error
    assert "forward" in summary.error

    async def looping(method: str, path: str) -> Response:
        return Response(200, {}, {"items": [], "nextCursor": "A" * 32})

    summary = await pull_history(repo, looping)
    assert summary.error
    assert "repeated" in summary.error
