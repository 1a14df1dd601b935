"""The sync worker against a fake log API: order, batching, the response policy, crash safety."""

from __future__ import annotations

import itertools
import json
import random
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

import pytest

from app.outbox import (
    Backoff,
    Entry,
    EntryState,
    MessageEntry,
    MessagePayload,
    NetworkError,
    Response,
    SessionEntry,
    SessionPayload,
    SyncWorker,
    message_key,
    parse_retry_after,
    session_key,
)
from app.outbox.sync import HOLD_META
from tests.support.outbox_doubles import FakeClock, MemoryStore, run_until_idle

NOW = 1_700_000_000.0
PREFIX = "/api/v1/character-chat"


# -- a fake of the log API --------------------------------------------------------------------------


@dataclass
class Fault:
    """Answer the next request with this instead of handling it."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None


LOST = object()
"""Handle the next request, then lose the answer (the client sees a network error)."""


def _err(code: str, message: str, details: list[dict[str, str]] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if details:
        body["details"] = details
    return body


class FakeServer:
    """A ``Transport`` that behaves like the log API, with scripted faults.

    Idempotent like the real one: a session by ``clientSessionId`` (201, then 200 on replay), a
    message by ``clientMessageId`` within its session (201, 200 on the same content, 409 on
    different content); invalid batch items get 422 without stopping the others.
    """

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.logged_in = True
        self.max_body_bytes = 1 << 20
        self.sessions: dict[str, dict[str, Any]] = {}
        """Rows by clientSessionId."""
        self.messages: dict[str, dict[str, dict[str, Any]]] = {}
        """Rows by server session id, then clientMessageId."""
        self.inserts = 0
        """Message rows ever created (a duplicate insert would show here)."""
        self.requests: list[tuple[float, str, Any]] = []
        self.answers: list[int | None] = []
        """The status of each answer (``None``: no answer reached the client)."""
        self.script: deque[Any] = deque()
        self.faults: list[tuple[int, Fault]] = []
        """Scripted faults answered, with the index of their request."""
        self.item_status: dict[str, int] = {}
        """Force a batch item's status by clientMessageId (e.g. a per-item 500)."""
        self._ids = itertools.count(1)

    def then(self, *actions: Any) -> None:
        """Queue faults (``Fault``, ``NetworkError``, ``LOST``, or ``None`` for a normal answer)."""
        self.script.extend(actions)

    async def send(self, method: str, path: str, json_body: Any = None) -> Response:
        assert method == "POST"
        raw = json.dumps(json_body, ensure_ascii=False, separators=(",", ":"))
        self.requests.append((self.clock.now(), path, json.loads(raw)))
        action = self.script.popleft() if self.script else None
        if isinstance(action, NetworkError):
            self.answers.append(None)
            raise action
        if isinstance(action, Fault):
            self.faults.append((len(self.requests) - 1, action))
            self.answers.append(action.status)
            body = action.body
            if body is None and action.status >= 400:
                body = _err(f"http_{action.status}", "Scripted fault.")
            return Response(action.status, {k.lower(): v for k, v in action.headers.items()}, body)
        response = self._handle(path, json.loads(raw), len(raw.encode()))
        if action is LOST:
            self.answers.append(None)
            raise NetworkError("connection reset")
        self.answers.append(response.status)
        return response

    def _handle(self, path: str, body: Any, size: int) -> Response:
        if not self.logged_in:
            return Response(401, {}, _err("unauthenticated", "Log in first."))
        if size > self.max_body_bytes:
            return Response(413, {}, _err("payload_too_large", "The request body is too large."))
        if path == f"{PREFIX}/sessions":
            return self._create_session(body)
        parts = path.removeprefix(f"{PREFIX}/sessions/").split("/")
        if len(parts) == 3 and parts[1:] == ["messages", "batch"]:
            return self._batch(parts[0], body)
        return Response(404, {}, _err("not_found", "No such resource."))

    def _create_session(self, body: dict[str, Any]) -> Response:
        problems = [
            {"field": name, "message": "must be 1-200 characters"}
            for name in ("characterId", "characterName", "modelId")
            if not isinstance(body.get(name), str) or not 1 <= len(body[name]) <= 200
        ]
        if problems:
            return Response(422, {}, _err("validation_failed", "Invalid session.", problems))
        row = self.sessions.get(body["clientSessionId"])
        if row is not None:
            return Response(200, {}, row)
        row = {"id": f"srv-{next(self._ids)}", **body}
        self.sessions[body["clientSessionId"]] = row
        self.messages[row["id"]] = {}
        return Response(201, {}, row)

    def _batch(self, server_id: str, body: dict[str, Any]) -> Response:
        if server_id not in self.messages:
            return Response(404, {}, _err("not_found", "No such session."))
        items = body.get("messages")
        if not isinstance(items, list) or not 1 <= len(items) <= 200:
            return Response(422, {}, _err("validation_failed", "Need 1-200 messages."))
        return Response(200, {}, {"results": [self._item(server_id, m) for m in items]})

    def _item(self, server_id: str, item: dict[str, Any]) -> dict[str, Any]:
        cmid = item.get("clientMessageId")
        if cmid in self.item_status:
            status = self.item_status[cmid]
            return {"clientMessageId": cmid, "status": status, "error": _err("forced", "Forced.")}
        content = item.get("content")
        if not isinstance(content, str) or len(content) > 100_000:
            details = [{"field": "content", "message": "at most 100000 characters"}]
            error = _err("validation_failed", "Invalid message.", details)
            return {"clientMessageId": cmid, "status": 422, "error": error}
        rows = self.messages[server_id]
        row = rows.get(cmid)
        if row is None:
            self.inserts += 1
            rows[cmid] = row = {"id": f"msg-{next(self._ids)}", **item}
            return {"clientMessageId": cmid, "status": 201, "id": row["id"]}
        if row["content"] != content:
            error = _err("conflict", "A different message already has this id.")
            return {"clientMessageId": cmid, "status": 409, "error": error}
        return {"clientMessageId": cmid, "status": 200, "id": row["id"]}

    # what the tests read

    def stored(self, client_session_id: str) -> list[tuple[int, str]]:
        """``(seq, content)`` of a session's stored messages, by seq."""
        rows = self.messages[self.sessions[client_session_id]["id"]].values()
        return sorted((row["seq"], row["content"]) for row in rows)

    def batch_sizes(self) -> list[int]:
        return [len(body["messages"]) for _, path, body in self.requests if "/batch" in path]

    def paths(self) -> list[str]:
        return [
            "session" if path.endswith("/sessions") else "batch" for _, path, _ in self.requests
        ]


# -- helpers ----------------------------------------------------------------------------------------


def session(csid: str, *, name: str = "Alice") -> SessionEntry:
    payload = SessionPayload(
        character_id="alice",
        character_name=name,
        model_id="Qwen3-8B-q4f16_1-MLC",
        created_at="2025-01-01T00:00:00Z",
        title="Tea time",
    )
    return SessionEntry(client_session_id=csid, payload=payload)


def message(csid: str, seq: int, content: str | None = None) -> MessageEntry:
    payload = MessagePayload(
        role="user" if seq % 2 == 0 else "assistant",
        content=f"{csid} says #{seq}" if content is None else content,
        created_at="2025-01-01T00:00:01Z",
        stats={"tokens": seq},
    )
    return MessageEntry(
        client_session_id=csid, client_message_id=f"{csid}-m{seq}", seq=seq, payload=payload
    )


async def chat(store: MemoryStore, csid: str, count: int, *, start: int = 0) -> None:
    entries: list[Entry] = [session(csid)] if start == 0 else []
    entries += [message(csid, seq) for seq in range(start, start + count)]
    await store.enqueue(entries)


def expected(csid: str, count: int) -> list[tuple[int, str]]:
    return [(seq, f"{csid} says #{seq}") for seq in range(count)]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def server(clock: FakeClock) -> FakeServer:
    return FakeServer(clock)


def make_worker(
    store: MemoryStore, server: FakeServer, clock: FakeClock, **options: Any
) -> SyncWorker:
    return SyncWorker(store, server, clock, random.Random(1234), **options)


@pytest.fixture
def worker(store: MemoryStore, server: FakeServer, clock: FakeClock) -> SyncWorker:
    return make_worker(store, server, clock)


# -- the happy path and order -----------------------------------------------------------------------


async def test_a_session_is_created_before_its_messages(
    store: MemoryStore, server: FakeServer, worker: SyncWorker
) -> None:
    await chat(store, "a", 3)
    result = await worker.flush()
    assert (result.sent, result.requests, result.stopped) == (4, 2, None)
    assert server.paths() == ["session", "batch"]
    assert server.requests[0][2]["clientSessionId"] == "a"
    assert server.stored("a") == expected("a", 3)
    assert store.records == {}
    assert store.sessions == {"a": server.sessions["a"]["id"]}
    assert result.state.summary_key() == "synced"
    assert result.state.last_synced_at == NOW
    assert result.next_wakeup is None


async def test_messages_go_in_seq_order_whatever_the_enqueue_order(
    store: MemoryStore, server: FakeServer, worker: SyncWorker
) -> None:
    await store.enqueue([message("a", 2), message("a", 0), session("a"), message("a", 1)])
    await worker.flush()
    batch = server.requests[1][2]["messages"]
    assert [m["seq"] for m in batch] == [0, 1, 2]
    assert server.paths() == ["session", "batch"]


async def test_sessions_flush_in_creation_order(
    store: MemoryStore, server: FakeServer, worker: SyncWorker
) -> None:
    await chat(store, "a", 1)
    await chat(store, "b", 1)
    await chat(store, "a", 1, start=1)  # a newer message of the older session
    await worker.flush()
    sent = [
        body.get("clientSessionId") or body["messages"][0]["clientMessageId"]
        for _, _, body in server.requests
    ]
    assert sent == ["a", "a-m0", "b", "b-m0"]
    assert server.stored("a") == expected("a", 2)


async def test_120_messages_go_in_three_batches(
    store: MemoryStore, server: FakeServer, worker: SyncWorker
) -> None:
    await chat(store, "a", 120)
    result = await worker.flush()
    assert server.batch_sizes() == [50, 50, 20]
    assert result.sent == 121
    assert server.stored("a") == expected("a", 120)
    seqs = [
        m["seq"] for _, path, body in server.requests if "/batch" in path for m in body["messages"]
    ]
    assert seqs == list(range(120))


async def test_batches_also_stay_under_a_byte_budget(
    store: MemoryStore, server: FakeServer, clock: FakeClock
) -> None:
    worker = make_worker(store, server, clock, max_batch_bytes=2_000)
    await store.enqueue([session("a")] + [message("a", n, "x" * 400) for n in range(10)])
    await worker.flush()
    sizes = [
        len(json.dumps(body, separators=(",", ":")))
        for _, path, body in server.requests
        if "/batch" in path
    ]
    assert len(sizes) > 1
    assert all(size <= 2_000 for size in sizes)
    assert sum(server.batch_sizes()) == 10


@pytest.mark.parametrize("batch_size", [0, 201])
def test_batch_size_must_fit_the_endpoint(
    store: MemoryStore, server: FakeServer, clock: FakeClock, batch_size: int
) -> None:
    with pytest.raises(ValueError, match="batch_size must be within"):
        make_worker(store, server, clock, batch_size=batch_size)


async def test_enqueue_is_idempotent(store: MemoryStore, worker: SyncWorker) -> None:
    assert await store.enqueue([session("a"), message("a", 0)]) == [
        session_key("a"),
        message_key("a", "a-m0"),
    ]
    assert await store.enqueue([session("a"), message("a", 0), message("a", 1)]) == [
        message_key("a", "a-m1")
    ]
    assert [e.order for e in await store.list_entries()] == [1, 2, 3]


# -- 401: pause -------------------------------------------------------------------------------------


async def test_401_pauses_everything_until_resume(
    store: MemoryStore, server: FakeServer, worker: SyncWorker
) -> None:
    await chat(store, "a", 2)
    await chat(store, "b", 2)
    server.logged_in = False
    result = await worker.flush()
    assert (result.requests, result.stopped) == (1, "paused")
    assert worker.paused
    assert result.state.summary_key() == "paused"
    assert result.next_wakeup is None
    # Not the entries' fault: untouched.
    assert all(e.attempts == 0 and e.last_error is None for e in await store.list_entries())

    server.logged_in = True
    again = await worker.flush()
    assert (again.requests, again.stopped) == (0, "paused")
    assert len(server.requests) == 1

    worker.resume()
    done = await worker.flush()
    assert done.stopped is None
    assert done.sent == 6
    assert server.stored("a") == expected("a", 2)
    assert server.stored("b") == expected("b", 2)


async def test_401_on_a_batch_pauses_too(
    store: MemoryStore, server: FakeServer, worker: SyncWorker
) -> None:
    await chat(store, "a", 2)
    await chat(store, "b", 2)
    server.then(None, Fault(401))
    result = await worker.flush()
    assert server.paths() == ["session", "batch"]
    assert result.stopped == "paused"
    assert result.sent == 1
    assert len(await store.list_entries()) == 5  # a's messages + all of b
    worker.resume()
    await worker.flush()
    assert store.records == {}


# -- network errors: the whole outbox backs off -----------------------------------------------------


async def test_a_network_error_stops_the_flush_and_holds_the_outbox(
    store: MemoryStore, server: FakeServer, clock: FakeClock, worker: SyncWorker
) -> None:
    await chat(store, "a", 2)
    await chat(store, "b", 2)
    server.then(NetworkError("offline"))
    result = await worker.flush()
    assert (result.requests, result.stopped, result.rescheduled) == (1, "network", 1)
    assert result.state.offline
    assert result.state.summary_key() == "offline"
    hold = store.meta[HOLD_META]
    assert hold["reason"] == "network"
    assert NOW <= hold["until"] <= NOW + 1.0
    assert result.next_wakeup is not None
    assert result.next_wakeup >= hold["until"]

    # Another tab (or a reload) respects the hold: nothing is sent before it ends.
    other = make_worker(store, server, clock)
    assert hold["until"] > NOW
    assert (await other.flush()).requests == 0

    clock.advance(result.next_wakeup - NOW)
    done = await other.flush()
    assert done.stopped is None
    assert not done.state.offline
    assert HOLD_META not in store.meta
    assert store.records == {}


async def test_network_backoff_grows_and_is_capped(
    store: MemoryStore, server: FakeServer, clock: FakeClock
) -> None:
    backoff = Backoff(base=1.0, cap=8.0)
    worker = make_worker(store, server, clock, backoff=backoff)
    await chat(store, "a", 1)
    for failures in range(8):
        server.then(NetworkError("offline"))
        result = await worker.flush()
        assert result.requests == 1
        hold = store.meta[HOLD_META]
        assert hold["failures"] == failures + 1
        assert 0.0 <= hold["until"] - clock.now() <= backoff.ceiling(failures)
        entry = await store.get(session_key("a"))
        assert entry is not None
        assert entry.attempts == failures + 1
        assert entry.next_attempt_at - clock.now() <= backoff.ceiling(failures)
        assert result.next_wakeup is not None
        clock.advance(result.next_wakeup - clock.now())
    assert (await worker.flush()).sent == 2


async def test_wake_lifts_a_network_hold_at_once(
    store: MemoryStore, server: FakeServer, clock: FakeClock
) -> None:
    worker = make_worker(store, server, clock, backoff=Backoff(base=60.0, cap=300.0))
    await chat(store, "a", 1)
    server.then(NetworkError("offline"), NetworkError("offline"))
    await worker.flush()
    clock.advance(60.0)
    await worker.flush()
    assert (await worker.flush()).requests == 0  # held
    await worker.wake()
    done = await worker.flush()
    assert done.sent == 2
    assert done.stopped is None


async def test_a_lost_answer_is_replayed_and_stored_once(
    store: MemoryStore, server: FakeServer, worker: SyncWorker, clock: FakeClock
) -> None:
    await chat(store, "a", 3)
    server.then(LOST, None, LOST)
    results = await run_until_idle(worker, clock)
    assert server.answers == [None, 200, None, 200]  # the replays are answered 200
    assert server.stored("a") == expected("a", 3)
    assert len(server.sessions) == 1
    assert server.inserts == 3
    assert results[-1].state.summary_key() == "synced"


# -- 429 and 5xx ------------------------------------------------------------------------------------


def _http_date(at: float) -> str:
    return format_datetime(datetime.fromtimestamp(at, tz=UTC), usegmt=True)


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"Retry-After": "30"}, id="seconds"),
        pytest.param({"Retry-After": _http_date(NOW + 30)}, id="http-date"),
    ],
)
async def test_429_waits_at_least_retry_after(
    store: MemoryStore,
    server: FakeServer,
    clock: FakeClock,
    worker: SyncWorker,
    headers: dict[str, str],
) -> None:
    await chat(store, "a", 1)
    await chat(store, "b", 1)
    server.then(Fault(429, headers))
    result = await worker.flush()
    assert (result.requests, result.stopped) == (1, "rate_limited")
    assert result.next_wakeup is not None
    assert result.next_wakeup >= NOW + 30
    clock.advance(29.9)
    assert (await worker.flush()).requests == 0
    clock.advance(result.next_wakeup - clock.now())
    done = await worker.flush()
    assert done.sent == 4
    assert server.requests[1][0] >= NOW + 30


async def test_429_without_retry_after_backs_off(
    store: MemoryStore, server: FakeServer, worker: SyncWorker
) -> None:
    await chat(store, "a", 1)
    server.then(Fault(429))
    result = await worker.flush()
    assert result.stopped == "rate_limited"
    assert NOW <= store.meta[HOLD_META]["until"] <= NOW + 1.0
    assert result.next_wakeup is not None


@pytest.mark.parametrize("status", [500, 502, 504])
async def test_5xx_backs_off_that_session_only(
    store: MemoryStore, server: FakeServer, clock: FakeClock, worker: SyncWorker, status: int
) -> None:
    await chat(store, "a", 2)
    await chat(store, "b", 2)
    server.then(Fault(status))
    result = await worker.flush()
    assert (result.stopped, result.rescheduled, result.sent) == (None, 1, 3)
    assert server.stored("b") == expected("b", 2)
    failed = await store.get(session_key("a"))
    assert failed is not None
    assert failed.attempts == 1
    assert failed.pending
    assert result.next_wakeup == failed.next_attempt_at
    assert result.state.summary_key() == "waiting"
    clock.advance(result.next_wakeup - NOW)
    await worker.flush()
    assert server.stored("a") == expected("a", 2)


async def test_503_with_retry_after_holds_everything(
    store: MemoryStore, server: FakeServer, clock: FakeClock, worker: SyncWorker
) -> None:
    await chat(store, "a", 1)
    await chat(store, "b", 1)
    server.then(Fault(503, {"Retry-After": "120"}))
    result = await worker.flush()
    assert (result.requests, result.stopped) == (1, "server")
    assert result.next_wakeup is not None
    assert result.next_wakeup >= NOW + 120
    clock.advance(119)
    assert (await worker.flush()).requests == 0
    clock.advance(result.next_wakeup - clock.now())
    assert (await worker.flush()).sent == 4


async def test_5xx_backoff_grows_per_entry_and_is_capped(
    store: MemoryStore, server: FakeServer, clock: FakeClock
) -> None:
    backoff = Backoff(base=2.0, cap=20.0)
    worker = make_worker(store, server, clock, backoff=backoff)
    await chat(store, "a", 1)
    for attempt in range(7):
        server.then(Fault(500))
        result = await worker.flush()
        entry = await store.get(session_key("a"))
        assert entry is not None
        assert entry.attempts == attempt + 1
        assert 0.0 <= entry.next_attempt_at - clock.now() <= backoff.ceiling(attempt)
        assert entry.last_error is not None
        assert entry.last_error.code == "http_500"
        assert result.next_wakeup is not None
        clock.advance(result.next_wakeup - clock.now())
    assert (await worker.flush()).sent == 2


async def test_a_waiting_message_holds_back_later_ones_of_its_session(
    store: MemoryStore, server: FakeServer, clock: FakeClock
) -> None:
    worker = make_worker(store, server, clock, batch_size=2)
    await chat(store, "a", 5)
    await chat(store, "b", 1)
    server.then(None, Fault(500))  # a's session is created, its first batch fails
    result = await worker.flush()
    assert server.paths() == ["session", "batch", "session", "batch"]  # a's other batches wait
    assert server.stored("b") == expected("b", 1)
    assert server.stored("a") == []
    # A message written meanwhile waits behind them too.
    await chat(store, "a", 1, start=5)
    assert (await worker.flush()).requests == 0
    assert result.next_wakeup is not None
    clock.advance(result.next_wakeup - NOW)
    await worker.flush()
    a_seqs = [
        m["seq"]
        for _, path, body in server.requests
        if "/batch" in path
        for m in body["messages"]
        if m["clientMessageId"].startswith("a-")
    ]
    assert a_seqs == [0, 1, 0, 1, 2, 3, 4, 5]
    assert server.stored("a") == expected("a", 6)


# -- other 4xx: failed entries ----------------------------------------------------------------------


async def test_a_refused_session_blocks_its_messages_but_not_other_sessions(
    store: MemoryStore, server: FakeServer, worker: SyncWorker
) -> None:
    await store.enqueue([session("a", name=""), message("a", 0), message("a", 1)])
    await chat(store, "b", 1)
    result = await worker.flush()
    assert (result.failed, result.sent) == (1, 2)
    assert server.paths() == ["session", "session", "batch"]
    failed = await worker.failed_entries()
    assert [e.key for e in failed] == [session_key("a")]
    error = failed[0].last_error
    assert error is not None
    assert error.code == "validation_failed"
    assert error.details == (("characterName", "must be 1-200 characters"),)
    assert (result.state.waiting, result.state.failed) == (2, 1)
    assert result.state.summary_key() == "failed"
    assert result.next_wakeup is None  # nothing can go without the user
    assert (await worker.flush()).requests == 0


async def test_retrying_a_refused_session_sends_it_and_its_messages(
    store: MemoryStore, server: FakeServer, worker: SyncWorker
) -> None:
    await chat(store, "a", 2)
    server.then(Fault(422, body={"code": "validation_failed", "message": "Bad."}))
    await worker.flush()
    assert await worker.retry(session_key("a"))
    entry = await store.get(session_key("a"))
    assert entry is not None
    assert entry.pending
    assert entry.attempts == 0
    assert entry.last_error is None
    result = await worker.flush()
    assert result.sent == 3
    assert server.stored("a") == expected("a", 2)


async def test_discarding_a_refused_session_fails_its_messages_clearly(
    store: MemoryStore, server: FakeServer, worker: SyncWorker
) -> None:
    await chat(store, "a", 2)
    server.then(Fault(422))
    await worker.flush()
    assert await worker.discard(session_key("a"))
    result = await worker.flush()
    assert result.requests == 0
    assert result.failed == 2
    errors = {e.key: e.last_error for e in await worker.failed_entries()}
    assert set(errors) == {message_key("a", "a-m0"), message_key("a", "a-m1")}
    assert all(e is not None and e.code == "session_missing" for e in errors.values())


async def test_mixed_batch_results_are_applied_per_item(
    store: MemoryStore, server: FakeServer, clock: FakeClock, worker: SyncWorker
) -> None:
    await store.enqueue(
        [
            session("a"),
            message("a", 0),
            message("a", 1, "y" * 100_001),  # too long: 422 with details
            message("a", 2),
            message("a", 3),
            message("a", 4),
        ]
    )
    server.item_status["a-m3"] = 409
    server.item_status["a-m4"] = 503
    result = await worker.flush()
    assert server.batch_sizes() == [5]
    assert (result.sent, result.failed, result.rescheduled) == (3, 2, 1)
    assert server.stored("a") == [(0, "a says #0"), (2, "a says #2")]
    failed = {e.key: e.last_error for e in await worker.failed_entries()}
    too_long = failed[message_key("a", "a-m1")]
    assert too_long is not None
    assert too_long.code == "validation_failed"
    assert too_long.details == (("content", "at most 100000 characters"),)
    conflict = failed[message_key("a", "a-m3")]
    assert conflict is not None
    assert conflict.code == "forced"
    waiting = await store.get(message_key("a", "a-m4"))
    assert waiting is not None
    assert waiting.pending
    assert waiting.attempts == 1
    del server.item_status["a-m4"]
    assert result.next_wakeup is not None
    clock.advance(result.next_wakeup - NOW)
    assert (await worker.flush()).sent == 1
    assert (await worker.state()).waiting == 0


async def test_409_on_different_content_fails_and_200_replay_succeeds(
    store: MemoryStore, server: FakeServer, worker: SyncWorker
) -> None:
    await chat(store, "a", 2)
    await worker.flush()
    # The same ids again: one with the same content (replay), one edited (conflict).
    await store.enqueue([message("a", 0), message("a", 1, "edited")])
    result = await worker.flush()
    assert (result.sent, result.failed) == (1, 1)
    assert server.answers[-1] == 200
    failed = await worker.failed_entries()
    assert [e.key for e in failed] == [message_key("a", "a-m1")]
    assert failed[0].last_error is not None
    assert failed[0].last_error.code == "conflict"
    assert server.stored("a") == expected("a", 2)
    assert server.inserts == 2
    # The user gives up on the edited copy.
    assert await worker.discard(failed[0].key)
    assert (await worker.state()).summary_key() == "synced"


async def test_404_on_the_batch_fails_its_messages(
    store: MemoryStore, server: FakeServer, worker: SyncWorker
) -> None:
    await chat(store, "a", 1)
    await worker.flush()
    server.messages.pop(server.sessions["a"]["id"])  # gone on the server
    await chat(store, "a", 2, start=1)
    result = await worker.flush()
    assert result.failed == 2
    codes = {e.last_error.code for e in await worker.failed_entries() if e.last_error}
    assert codes == {"not_found"}


async def test_413_splits_the_batch_and_fails_only_what_is_too_big(
    store: MemoryStore, server: FakeServer, worker: SyncWorker
) -> None:
    server.max_body_bytes = 2_500
    await store.enqueue(
        [session("a")]
        + [message("a", n, "z" * 300) for n in range(6)]
        + [message("a", 6, "w" * 3_000)]
    )
    result = await worker.flush()
    assert result.sent == 7
    assert result.failed == 1
    assert server.batch_sizes()[0] == 7
    assert [seq for seq, _ in server.stored("a")] == [0, 1, 2, 3, 4, 5]
    [failed] = await worker.failed_entries()
    assert failed.key == message_key("a", "a-m6")
    assert failed.last_error is not None
    assert failed.last_error.code == "payload_too_large"


async def test_retry_and_discard_of_unknown_keys(worker: SyncWorker) -> None:
    assert not await worker.retry("message:nope:nope")
    assert not await worker.discard("message:nope:nope")


async def test_retrying_a_failed_message(
    store: MemoryStore, server: FakeServer, worker: SyncWorker
) -> None:
    await chat(store, "a", 2)
    server.item_status["a-m1"] = 422
    await worker.flush()
    [failed] = await worker.failed_entries()
    del server.item_status["a-m1"]
    assert await worker.retry(failed.key)
    assert (await worker.flush()).sent == 1
    assert server.stored("a") == expected("a", 2)


# -- answers that break the contract --------------------------------------------------------------


async def test_a_session_answer_without_an_id_is_retried(
    store: MemoryStore, server: FakeServer, clock: FakeClock, worker: SyncWorker
) -> None:
    await chat(store, "a", 1)
    server.then(Fault(201, body={"clientSessionId": "a"}))
    result = await worker.flush()
    entry = await store.get(session_key("a"))
    assert entry is not None
    assert entry.last_error is not None
    assert entry.last_error.code == "bad_response"
    assert entry.pending
    assert store.sessions == {}
    assert result.next_wakeup is not None
    clock.advance(result.next_wakeup - NOW)
    assert (await worker.flush()).sent == 2


async def test_a_malformed_batch_answer_is_retried(
    store: MemoryStore, server: FakeServer, worker: SyncWorker, clock: FakeClock
) -> None:
    await chat(store, "a", 2)
    server.then(None, Fault(200, body={"results": []}))
    results = await run_until_idle(worker, clock)
    assert results[0].rescheduled == 2
    assert server.stored("a") == expected("a", 2)


# -- crash safety ---------------------------------------------------------------------------------


class Crash(Exception):
    """The page died here."""


class CrashingStore(MemoryStore):
    """Dies once, at the chosen point, after the server has already answered."""

    def __init__(self, point: str, skip: int = 0) -> None:
        super().__init__()
        self.point = point
        self.skip = skip

    def _maybe_crash(self, point: str) -> None:
        if point == self.point:
            if self.skip:
                self.skip -= 1
                return
            self.point = ""
            raise Crash(point)

    async def apply(self, *, update: Sequence[Entry] = (), delete: Sequence[str] = ()) -> None:
        if delete:
            self._maybe_crash("delete")
        await super().apply(update=update, delete=delete)

    async def set_server_session_id(self, client_session_id: str, server_session_id: str) -> None:
        self._maybe_crash("map")
        await super().set_server_session_id(client_session_id, server_session_id)


@pytest.mark.parametrize(
    ("point", "skip"),
    [
        pytest.param("map", 0, id="before-the-session-id-is-kept"),
        pytest.param("delete", 0, id="after-the-session-id-is-kept"),
        pytest.param("delete", 1, id="after-the-first-batch"),
        pytest.param("delete", 2, id="after-the-second-batch"),
    ],
)
async def test_a_crash_between_send_and_ack_stores_everything_once(
    server: FakeServer, clock: FakeClock, point: str, skip: int
) -> None:
    store = CrashingStore(point, skip)
    await chat(store, "a", 60)
    with pytest.raises(Crash):
        await make_worker(store, server, clock).flush()
    # The page reloads: a new worker on the same durable store.
    reloaded = make_worker(store, server, clock)
    await reloaded.flush()
    assert store.records == {}
    assert len(server.sessions) == 1
    assert server.stored("a") == expected("a", 60)
    assert server.inserts == 60
    assert 200 in server.answers  # the replay was answered as a replay


# -- next_wakeup and the state --------------------------------------------------------------------


async def test_next_wakeup(
    store: MemoryStore, server: FakeServer, clock: FakeClock, worker: SyncWorker
) -> None:
    assert await worker.next_wakeup() is None
    await chat(store, "a", 1)
    assert await worker.next_wakeup() == NOW  # due now
    server.then(Fault(500))
    await worker.flush()
    entry = await store.get(session_key("a"))
    assert entry is not None
    assert await worker.next_wakeup() == entry.next_attempt_at
    worker.pause()
    assert await worker.next_wakeup() is None
    assert (await worker.state()).summary_key() == "paused"
    worker.resume()
    clock.advance(entry.next_attempt_at - NOW)
    await worker.flush()
    assert await worker.next_wakeup() is None


async def test_state_counts(store: MemoryStore, server: FakeServer, worker: SyncWorker) -> None:
    await chat(store, "a", 3)
    state = await worker.state()
    assert (state.waiting, state.failed, state.last_synced_at) == (4, 0, None)
    assert state.summary_key() == "waiting"
    server.item_status["a-m2"] = 422
    await worker.flush()
    state = await worker.state()
    assert (state.waiting, state.failed, state.last_synced_at) == (0, 1, NOW)
    assert state.summary_key() == "failed"
    assert [e.state for e in await store.list_entries()] == [EntryState.FAILED]


# -- everything at once ---------------------------------------------------------------------------


def _chaos(rng: random.Random, now: float) -> Any:
    choice = rng.choice(["ok", "ok", "ok", "net", "lost", "500", "502", "503", "429", "429d"])
    return {
        "ok": None,
        "net": NetworkError("offline"),
        "lost": LOST,
        "500": Fault(500),
        "502": Fault(502, body="<html>bad gateway</html>"),
        "503": Fault(503, {"Retry-After": "5"}),
        "429": Fault(429, {"Retry-After": "7"}),
        "429d": Fault(429, {"Retry-After": _http_date(now + 11)}),
    }[choice]


@pytest.mark.parametrize("seed", range(12))
async def test_flaky_network_and_server_still_store_each_message_exactly_once(
    store: MemoryStore, server: FakeServer, clock: FakeClock, seed: int
) -> None:
    rng = random.Random(seed)
    worker = SyncWorker(
        store, server, clock, random.Random(seed), batch_size=7, backoff=Backoff(1.0, 30.0)
    )
    await chat(store, "a", 25)
    await chat(store, "b", 9)
    await chat(store, "c", 16)
    server.then(*(_chaos(rng, NOW) for _ in range(40)))
    await run_until_idle(worker, clock)
    assert store.records == {}
    assert server.stored("a") == expected("a", 25)
    assert server.stored("b") == expected("b", 9)
    assert server.stored("c") == expected("c", 16)
    assert server.inserts == 50
    assert len(server.sessions) == 3
    assert server.faults
    assert None in server.answers
    # Retry-After was never cut short: no request went before it ran out.
    times = [at for at, _, _ in server.requests]
    for index, fault in server.faults:
        wait = parse_retry_after(fault.headers.get("Retry-After"), now=times[index])
        if wait is not None and index + 1 < len(times):
            assert times[index + 1] >= times[index] + wait
