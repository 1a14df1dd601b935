"""The outbox against the real server: ``SyncWorker`` flushes into the Litestar app in-process.

The unit tests (``tests/unit/test_outbox_sync.py``) drive the worker's policy with scripted
faults; these check that the requests it sends and the answers it understands are the ones the
API really has: idempotent replays, per-item refusals, conflicts, body limits, login. Every test
runs on SQLite and on PostgreSQL, and reads what was stored back through the API.
"""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import replace
from typing import Any

import httpx
import pytest

from app.outbox import (
    MessageEntry,
    MessagePayload,
    NetworkError,
    Response,
    SessionEntry,
    SessionPayload,
    SyncWorker,
)
from app.outbox.entries import EntryState
from tests.server.conftest import SESSIONS, Api
from tests.support.outbox_doubles import FakeClock, MemoryStore, run_until_idle


class ApiTransport:
    """``app.outbox.ports.Transport`` over the test client: what ``FetchTransport`` does in
    the page (same cookies, the CSRF header), and ``lose_next`` drops an answer that the
    server did produce (its write happened; the page never heard)."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.lose_next: set[str] = set()  # "session" or "batch": the next such answer is lost
        self.statuses: list[int] = []

    async def send(self, method: str, path: str, json_body: Any = None) -> Response:
        kind = "batch" if path.endswith("/batch") else "session"
        try:
            answer = await self.api.http.request(method, path, json=json_body)
        except httpx.TransportError as exc:  # pragma: no cover - in-process, never expected
            raise NetworkError(str(exc)) from exc
        self.statuses.append(answer.status_code)
        if kind in self.lose_next:
            self.lose_next.discard(kind)
            raise NetworkError("connection reset after the server answered")
        try:
            body = answer.json() if answer.content else None
        except json.JSONDecodeError:
            body = answer.text
        return Response(answer.status_code, {k.lower(): v for k, v in answer.headers.items()}, body)


def cid(name: str) -> str:
    """A client id as the page makes them (the server wants UUIDs), stable for a name."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, name))


def session_entry(csid: str) -> SessionEntry:
    payload = SessionPayload(
        character_id="alice",
        character_name="Alice",
        model_id="Qwen3-0.6B-q4f32_1-MLC",
        created_at="2025-01-01T00:00:00Z",
        title="Tea time",
    )
    return SessionEntry(client_session_id=cid(csid), payload=payload)


def message_entry(csid: str, seq: int, content: str | None = None) -> MessageEntry:
    payload = MessagePayload(
        role="user" if seq % 2 == 0 else "assistant",
        content=f"{csid} says #{seq}" if content is None else content,
        created_at="2025-01-01T00:00:01Z",
        stats={"tokens": seq},
    )
    return MessageEntry(
        client_session_id=cid(csid),
        client_message_id=cid(f"{csid}-m{seq}"),
        seq=seq,
        payload=payload,
    )


async def stored(api: Api, server_id: str) -> list[tuple[int, str]]:
    """``(seq, content)`` of every row the server holds for the session, read by the API."""
    rows: list[tuple[int, str]] = []
    after = -1
    while True:
        answer = await api.http.get(
            f"{SESSIONS}/{server_id}/messages", params={"afterSeq": after, "limit": 200}
        )
        assert answer.status_code == 200, answer.text
        page = answer.json()
        rows += [(item["seq"], item["content"]) for item in page["items"]]
        if page.get("nextAfterSeq") is None:
            return rows
        after = page["nextAfterSeq"]


def worker_for(
    store: MemoryStore, transport: ApiTransport, clock: FakeClock, **options: Any
) -> SyncWorker:
    return SyncWorker(store, transport, clock, random.Random(7), **options)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


async def test_a_chat_is_stored_once_in_order(
    alice: Api, store: MemoryStore, clock: FakeClock
) -> None:
    await store.enqueue([session_entry("a")] + [message_entry("a", n) for n in range(120)])
    transport = ApiTransport(alice)
    result = await worker_for(store, transport, clock).flush()
    assert result.stopped is None
    assert result.sent == 121
    assert transport.statuses == [201, 200, 200, 200]  # the session, then three batches of 50
    server_id = store.sessions[cid("a")]
    assert await stored(alice, server_id) == [(n, f"a says #{n}") for n in range(120)]
    assert store.records == {}


async def test_answers_lost_after_the_write_are_replayed_without_duplicates(
    alice: Api, store: MemoryStore, clock: FakeClock
) -> None:
    await store.enqueue([session_entry("a")] + [message_entry("a", n) for n in range(3)])
    transport = ApiTransport(alice)
    transport.lose_next = {"session", "batch"}
    await run_until_idle(worker_for(store, transport, clock), clock)
    # session: 201 (lost), 200 (replay); batch: 200 with 201 items (lost), 200 with 200 items
    assert transport.statuses == [201, 200, 200, 200]
    assert await stored(alice, store.sessions[cid("a")]) == [(n, f"a says #{n}") for n in range(3)]
    assert store.records == {}


async def test_a_refused_item_fails_alone_and_a_conflict_is_reported(
    alice: Api, store: MemoryStore, clock: FakeClock
) -> None:
    await store.enqueue([session_entry("a"), message_entry("a", 0)])
    worker = worker_for(store, ApiTransport(alice), clock)
    await worker.flush()
    too_long = "x" * 100_001
    await store.enqueue(
        [
            message_entry("a", 0, "different words under a used id"),
            message_entry("a", 1, too_long),
            message_entry("a", 2),
        ]
    )
    result = await run_until_idle(worker, clock)
    failed = {e.client_message_id: e for e in await store.list_entries()}
    assert set(failed) == {cid("a-m0"), cid("a-m1")}
    assert all(e.state is EntryState.FAILED for e in failed.values())
    assert failed[cid("a-m0")].last_error is not None
    assert failed[cid("a-m0")].last_error.code == "conflict"
    assert failed[cid("a-m1")].last_error is not None
    assert failed[cid("a-m1")].last_error.code == "validation_failed"
    assert result[-1].state.failed == 2
    assert await stored(alice, store.sessions[cid("a")]) == [(0, "a says #0"), (2, "a says #2")]


async def test_a_body_over_the_servers_limit_is_halved_until_it_fits(
    alice: Api, store: MemoryStore, clock: FakeClock
) -> None:
    content = "y" * 90_000
    await store.enqueue([session_entry("a")] + [message_entry("a", n, content) for n in range(20)])
    transport = ApiTransport(alice)
    worker = worker_for(store, transport, clock, max_batch_bytes=5_000_000)  # 1.8 MB batches
    await run_until_idle(worker, clock)
    assert 413 in transport.statuses
    assert len(await stored(alice, store.sessions[cid("a")])) == 20
    assert store.records == {}


async def test_logged_out_pauses_and_a_login_resumes(
    anon: Api, store: MemoryStore, clock: FakeClock
) -> None:
    await store.enqueue([session_entry("a"), message_entry("a", 0)])
    await anon.csrf()
    transport = ApiTransport(anon)
    worker = worker_for(store, transport, clock)
    result = await worker.flush()
    assert transport.statuses == [401]
    assert result.stopped == "paused"
    assert len(await store.list_entries()) == 2  # untouched: not their fault
    assert (await anon.register("carol")).status_code == 201
    worker.resume()
    result = await worker.flush()
    assert result.stopped is None
    assert await stored(anon, store.sessions[cid("a")]) == [(0, "a says #0")]


async def test_what_the_page_logs_fits_the_servers_limits(
    alice: Api, store: MemoryStore, clock: FakeClock
) -> None:
    """A card's name or id longer than the API takes is clipped to the shared limits
    (app/wire.py), so the chat's logs are accepted instead of failing for good."""
    from app.conversation import log_entries
    from app.models import Character, ChatSession, Message

    character = replace(Character.new("N" * 500, now="2025-01-01T00:00:00Z"), id="c" * 300)
    session = ChatSession.new(character.id, title="T" * 500, now="2025-01-01T00:00:00Z")
    said = Message.new(session.id, "user", "hello", seq=0)
    await store.enqueue(log_entries(session, character, [said], model_id="m" * 500))
    result = await worker_for(store, ApiTransport(alice), clock).flush()
    assert (result.sent, result.failed) == (2, 0)
    assert await stored(alice, store.sessions[session.id]) == [(0, "hello")]
