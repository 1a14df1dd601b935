"""The sync worker: sends what the outbox holds, in order, and applies the response policy.

The page calls ``flush()`` on every trigger (enqueue, ``online``, page visible, login, the timer
set from ``next_wakeup``) while holding a Web Lock, so one tab flushes at a time; the worker also
serialises its own calls with an ``asyncio.Lock``.

Order
    Sessions go in creation order, each independently: a session's messages are sent only after
    the server has created the session (its id is known), and in ``seq`` order. When a message
    waits for a retry, the later messages of that session wait with it, so the server receives
    them in ``seq`` order; other sessions go on. A *failed* message (refused with a ``4xx``) does
    not hold back later ones: the log is append-only, the server orders by ``seq``, and one bad
    message must not stop a conversation from being saved. A failed *session* entry holds back
    all its messages (they cannot be stored without it) until the user retries or discards it;
    discarding it fails its messages with ``session_missing``.

When everything waits
    ``401`` pauses the whole outbox until ``resume()``. A network error, a ``429``, or a ``5xx``
    with ``Retry-After`` stops the flush and puts the whole outbox on hold (capped backoff with
    full jitter, never shorter than ``Retry-After``); the hold is kept in the store, so other tabs
    and a reload respect it. ``wake()`` (on the ``online`` event) lifts a network hold. A ``5xx``
    without ``Retry-After`` backs off only the entries it carried (one poisoned request must not
    stop the other sessions).

Crash safety
    Each step is written to the store right after its answer, and a request is only ever
    repeated with the same idempotency keys. If the page dies between the server's answer and
    the store write, the next flush sends the same request again; the server answers ``200``
    (replay) and that counts as success, so each message is stored exactly once.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, fields, replace
from enum import Enum, auto
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from app import wire
from app.outbox.entries import ErrorInfo, MessageEntry, SessionEntry
from app.outbox.policy import (
    NETWORK_ERROR,
    SESSION_MISSING,
    Backoff,
    Decision,
    Outcome,
    bad_response,
    batch_outcomes,
    classify,
    session_id_from,
)
from app.outbox.ports import NetworkError, Response
from app.outbox.state import OutboxState

if TYPE_CHECKING:
    from app.outbox.entries import Entry
    from app.outbox.ports import Clock, Random, Store, Transport

__all__ = ["HOLD_META", "LAST_SYNCED_META", "MAX_BATCH_SIZE", "FlushResult", "SyncWorker"]

MAX_BATCH_SIZE = wire.MAX_BATCH_SIZE
"""The batch endpoint takes 1..200 messages."""
HOLD_META = "hold"
"""Store metadata: the outbox-wide backoff ``{"until", "failures", "reason"}``."""
LAST_SYNCED_META = "lastSyncedAt"
"""Store metadata: clock time of the last acknowledged entry."""

_ENVELOPE_BYTES = len('{"messages":[]}')
_SESSION_MISSING = ErrorInfo(
    SESSION_MISSING,
    "This message's chat session was never created on the server (it was discarded), "
    "so the message cannot be saved.",
)
_UNKNOWN = ErrorInfo("unknown", "The request did not succeed.")


class _Next(Enum):
    """What the flush does after a request."""

    CONTINUE = auto()
    SESSION_WAIT = auto()
    """This session's remaining messages wait; other sessions go on."""
    STOP = auto()
    """Nothing more this flush (paused, or the whole outbox is on hold)."""


@dataclass(frozen=True)
class _Hold:
    """The outbox-wide backoff after a network error, a ``429`` or a ``503``."""

    until: float = 0.0
    failures: int = 0
    """Consecutive outbox-wide failures (the backoff exponent); reset by any other answer."""
    reason: str | None = None
    """``"network"``, ``"rate_limited"`` or ``"server"``."""

    @classmethod
    def load(cls, value: Any) -> _Hold:
        if not isinstance(value, dict):
            return cls()
        try:
            reason = value.get("reason")
            return cls(
                until=float(value.get("until", 0.0)),
                failures=int(value.get("failures", 0)),
                reason=str(reason) if reason is not None else None,
            )
        except (TypeError, ValueError):
            return cls()

    def to_meta(self) -> dict[str, Any]:
        return {"until": self.until, "failures": self.failures, "reason": self.reason}


@dataclass
class _Group:
    """One session's entries: its creation (if still queued) and its pending messages by seq."""

    client_session_id: str
    order: int
    session: SessionEntry | None = None
    messages: list[MessageEntry] = field(default_factory=list)

    def gate(self) -> float | None:
        """When this session can next send something; ``None`` when it is blocked or empty."""
        if self.session is not None:
            return self.session.next_attempt_at if self.session.pending else None
        return self.messages[0].next_attempt_at if self.messages else None


def _groups(entries: Sequence[Entry]) -> list[_Group]:
    groups: dict[str, _Group] = {}
    for entry in entries:
        group = groups.get(entry.client_session_id)
        if group is None:
            group = groups[entry.client_session_id] = _Group(entry.client_session_id, entry.order)
        group.order = min(group.order, entry.order)
        if isinstance(entry, SessionEntry):
            group.session = entry
        elif entry.pending:
            group.messages.append(entry)
    for group in groups.values():
        group.messages.sort(key=lambda m: (m.seq, m.order))
    return sorted(groups.values(), key=lambda g: g.order)


def _json_size(value: Any) -> int:
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return len(text.encode("utf-8", "replace"))


def _chunks(
    messages: Sequence[MessageEntry], batch_size: int, max_bytes: int
) -> Iterator[list[MessageEntry]]:
    """Consecutive runs of at most ``batch_size`` messages and about ``max_bytes`` of JSON."""
    chunk: list[MessageEntry] = []
    size = _ENVELOPE_BYTES
    for message in messages:
        item = _json_size(message.body()) + 1
        if chunk and (len(chunk) >= batch_size or size + item > max_bytes):
            yield chunk
            chunk, size = [], _ENVELOPE_BYTES
        chunk.append(message)
        size += item
    if chunk:
        yield chunk


@dataclass(frozen=True)
class FlushResult:
    """What one ``flush()`` did, and what the page should do next."""

    state: OutboxState
    """The outbox after the flush (broadcast it to the other tabs)."""
    next_wakeup: float | None
    """Clock time to flush again (arm a timer); ``None`` when nothing waits or paused."""
    sent: int = 0
    """Entries the server acknowledged (``201`` or ``200``)."""
    failed: int = 0
    """Entries newly marked failed."""
    rescheduled: int = 0
    """Entries put back to wait for a retry."""
    requests: int = 0
    """HTTP requests made."""
    stopped: str | None = None
    """Why the flush ended early: ``"paused"``, ``"network"``, ``"rate_limited"``, ``"server"``
    (a hold from this flush or an earlier one), or ``None`` when it went through the queue."""


@dataclass
class _Run:
    """The running tally of one flush."""

    now: float
    hold: _Hold
    sent: int = 0
    failed: int = 0
    rescheduled: int = 0
    requests: int = 0
    stopped: str | None = None

    def result(self, state: OutboxState, next_wakeup: float | None) -> FlushResult:
        """The flush's answer: every field of ``FlushResult`` after these two is a count kept
        here, copied by name so that a new count is not listed a third time."""
        tally = {
            item.name: getattr(self, item.name)
            for item in fields(FlushResult)
            if item.name not in ("state", "next_wakeup")
        }
        return FlushResult(state, next_wakeup, **tally)


class SyncWorker:
    """Flushes the outbox through the log API; safe to crash and restart at any point."""

    def __init__(
        self,
        store: Store,
        transport: Transport,
        clock: Clock,
        rng: Random,
        *,
        batch_size: int = 50,
        max_batch_bytes: int = 900_000,
        backoff: Backoff | None = None,
        api_prefix: str = "/api/v1/character-chat",
        paused: bool = False,
    ) -> None:
        """``max_batch_bytes`` keeps a batch's JSON under the server's 1 MiB body limit."""
        if not 1 <= batch_size <= MAX_BATCH_SIZE:
            raise ValueError(f"batch_size must be within 1..{MAX_BATCH_SIZE}")
        if max_batch_bytes <= _ENVELOPE_BYTES:
            raise ValueError("max_batch_bytes is too small")
        self._store = store
        self._transport = transport
        self._clock = clock
        self._rng = rng
        self._batch_size = batch_size
        self._max_batch_bytes = max_batch_bytes
        self._backoff = backoff or Backoff()
        self._prefix = api_prefix.rstrip("/")
        self._paused = paused
        self._lock = asyncio.Lock()

    # -- controls -------------------------------------------------------------------------------

    @property
    def paused(self) -> bool:
        """True after a ``401`` (or ``pause()``) until ``resume()``."""
        return self._paused

    def pause(self) -> None:
        """Stop sending (e.g. on logout); entries keep waiting."""
        self._paused = True

    def resume(self) -> None:
        """Allow sending again (call on login, then ``flush()``)."""
        self._paused = False

    async def wake(self) -> None:
        """The network is probably back (``online`` event): lift a network hold and make entries
        that wait only because of network errors due now. Call ``flush()`` afterwards."""
        async with self._lock:
            now = self._clock.now()
            if _Hold.load(await self._store.get_meta(HOLD_META)).reason == "network":
                await self._store.set_meta(HOLD_META, None)
            woken = [
                replace(entry, next_attempt_at=now)
                for entry in await self._store.list_entries()
                if entry.pending
                and entry.next_attempt_at > now
                and entry.last_error is not None
                and entry.last_error.code == NETWORK_ERROR
            ]
            if woken:
                await self._store.apply(update=woken)

    async def retry(self, key: str) -> bool:
        """Put an entry (normally a failed one) back in the queue, due now, with its attempts
        reset. False when no entry has that key."""
        async with self._lock:
            entry = await self._store.get(key)
            if entry is None:
                return False
            await self._store.apply(update=[entry.retried(self._clock.now())])
            return True

    async def discard(self, key: str) -> bool:
        """Delete an entry for good. False when no entry has that key."""
        async with self._lock:
            if await self._store.get(key) is None:
                return False
            await self._store.apply(delete=[key])
            return True

    # -- what the page reads ----------------------------------------------------------------------

    async def failed_entries(self) -> list[Entry]:
        """The entries the server refused, with ``last_error`` saying why."""
        return [entry for entry in await self._store.list_entries() if not entry.pending]

    async def state(self) -> OutboxState:
        """The indicator's summary."""
        return (await self._summarise())[0]

    async def next_wakeup(self) -> float | None:
        """Clock time when something next becomes due (the current time when something is due
        now); ``None`` when nothing can be sent without the user (empty, paused, only failed)."""
        return (await self._summarise())[1]

    async def _summarise(self) -> tuple[OutboxState, float | None]:
        entries = await self._store.list_entries()
        hold = _Hold.load(await self._store.get_meta(HOLD_META))
        gates = [g for g in (group.gate() for group in _groups(entries)) if g is not None]
        now = self._clock.now()
        wakeup = None if self._paused or not gates else max(min(gates), hold.until, now)
        last = await self._store.get_meta(LAST_SYNCED_META)
        state = OutboxState(
            waiting=sum(1 for entry in entries if entry.pending),
            failed=sum(1 for entry in entries if not entry.pending),
            paused=self._paused,
            offline=hold.reason == "network",
            last_synced_at=float(last) if last is not None else None,
            next_attempt_at=wakeup,
        )
        return state, wakeup

    # -- flushing -------------------------------------------------------------------------------

    async def flush(self) -> FlushResult:
        """Send everything that is due, in order, until done, paused or on hold."""
        async with self._lock:
            run = _Run(
                now=self._clock.now(), hold=_Hold.load(await self._store.get_meta(HOLD_META))
            )
            if self._paused:
                run.stopped = "paused"
            elif run.hold.until > run.now:
                run.stopped = run.hold.reason or "server"
            else:
                for group in _groups(await self._store.list_entries()):
                    if await self._flush_session(run, group) is _Next.STOP:
                        break
            if run.sent:
                await self._store.set_meta(LAST_SYNCED_META, self._clock.now())
            return run.result(*await self._summarise())

    async def _flush_session(self, run: _Run, group: _Group) -> _Next:
        session = group.session
        if session is not None and not session.pending:
            return _Next.CONTINUE  # its messages wait for the user's retry or discard
        if session is None and not group.messages:
            return _Next.CONTINUE
        after, server_id = await self._server_session(run, group)
        if server_id is None:
            return after
        # Later messages of this session wait behind the first one not yet due.
        due = list(itertools.takewhile(lambda m: m.next_attempt_at <= run.now, group.messages))
        for chunk in _chunks(due, self._batch_size, self._max_batch_bytes):
            after = await self._send_chunk(run, server_id, chunk)
            if after is not _Next.CONTINUE:
                return after
        return _Next.CONTINUE

    async def _server_session(self, run: _Run, group: _Group) -> tuple[_Next, str | None]:
        """The server's id of the group's session, creating it first if its entry is due.

        No id: what comes next, and the group's messages wait (or fail: no session to go to).
        """
        server_id = await self._store.get_server_session_id(group.client_session_id)
        session = group.session
        if session is not None:
            if server_id is not None:  # created, but the page died before the entry was deleted
                await self._store.apply(delete=[session.key])
            elif session.next_attempt_at > run.now:
                return _Next.CONTINUE, None
            else:
                after, server_id = await self._create_session(run, session)
                if server_id is None:
                    return after, None
        if server_id is None:
            orphans = [message.failed(_SESSION_MISSING) for message in group.messages]
            await self._store.apply(update=orphans)
            run.failed += len(orphans)
        return _Next.CONTINUE, server_id

    async def _create_session(self, run: _Run, session: SessionEntry) -> tuple[_Next, str | None]:
        result = await self._send(run, f"{self._prefix}/sessions", session.body())
        outcome = await self._classify(run, result)
        if outcome.decision is Decision.SUCCESS:
            assert isinstance(result, Response)
            server_id = session_id_from(result.body)
            if server_id is None:
                outcome = bad_response(result.status, "no session id")
            else:
                await self._store.set_server_session_id(session.client_session_id, server_id)
                await self._store.apply(delete=[session.key])
                run.sent += 1
                return _Next.CONTINUE, server_id
        after = await self._settle(run, [(session, outcome)])
        return (_Next.STOP if after is _Next.STOP else _Next.CONTINUE), None

    async def _send_chunk(self, run: _Run, server_id: str, chunk: list[MessageEntry]) -> _Next:
        path = f"{self._prefix}/sessions/{quote(server_id, safe='')}/messages/batch"
        result = await self._send(run, path, {"messages": [m.body() for m in chunk]})
        outcome = await self._classify(run, result)
        if outcome.decision is Decision.SUCCESS:
            assert isinstance(result, Response)
            items = batch_outcomes(
                result.body, [m.client_message_id for m in chunk], now=self._clock.now()
            )
            if items is None:
                items = [bad_response(result.status, "batch results do not match")] * len(chunk)
            return await self._settle(run, list(zip(chunk, items, strict=True)))
        if outcome.decision is Decision.FAIL and outcome.status in (413, 422) and len(chunk) > 1:
            # Too big, or refused as a whole: halve it, so the refusal lands on the right items.
            half = len(chunk) // 2
            after = await self._send_chunk(run, server_id, chunk[:half])
            if after is not _Next.CONTINUE:
                return after
            return await self._send_chunk(run, server_id, chunk[half:])
        return await self._settle(run, [(message, outcome) for message in chunk])

    async def _send(self, run: _Run, path: str, body: Any) -> Response | NetworkError:
        run.requests += 1
        try:
            return await self._transport.send("POST", path, body)
        except NetworkError as exc:
            return exc

    async def _classify(self, run: _Run, result: Response | NetworkError) -> Outcome:
        """Classify, and end an outbox-wide hold once the server answers normally again."""
        outcome = classify(result, now=self._clock.now())
        answered = isinstance(result, Response)
        if answered and not (outcome.retryable and outcome.whole_outbox) and run.hold.failures:
            run.hold = _Hold()
            await self._store.set_meta(HOLD_META, None)
        return outcome

    async def _settle(self, run: _Run, pairs: Sequence[tuple[Entry, Outcome]]) -> _Next:
        """Write each entry's outcome (one store transaction) and decide what comes next.

        Entries retried together get one due time, so they go together again (a batch stays a
        batch). When the outcome holds the whole outbox, they are due when the hold ends.
        """
        now = self._clock.now()
        sorted_ = _Sorted.of(pairs)
        done, changed, failed, paused = (
            sorted_.done,
            sorted_.changed,
            sorted_.failed,
            sorted_.paused,
        )
        local, held = sorted_.local, sorted_.held
        if paused:  # a pause outranks a hold; the held ones back off on their own
            local, held = local + held, []
        if local:
            attempts = max(entry.attempts for entry, _ in local)
            delay = self._backoff.delay(attempts, self._rng, minimum=_longest_wait(local))
            changed += [entry.rescheduled(now + delay, outcome.error) for entry, outcome in local]
        hold = None
        if held:
            hold = self._next_hold(run, held[0][1], _longest_wait(held))
            changed += [entry.rescheduled(hold.until, outcome.error) for entry, outcome in held]
        if done or changed:
            await self._store.apply(update=changed, delete=done)
        run.sent += len(done)
        run.failed += failed
        run.rescheduled += len(local) + len(held)
        if paused:
            self._paused = True
            run.stopped = "paused"
            return _Next.STOP
        if hold is not None:
            run.hold = hold
            run.stopped = hold.reason
            await self._store.set_meta(HOLD_META, hold.to_meta())
            return _Next.STOP
        return _Next.SESSION_WAIT if local else _Next.CONTINUE

    def _next_hold(self, run: _Run, outcome: Outcome, minimum: float | None) -> _Hold:
        """The outbox-wide backoff after one more outbox-wide failure."""
        if outcome.status is None:
            reason = "network"
        elif outcome.decision is Decision.RETRY_RATE_LIMIT:
            reason = "rate_limited"
        else:
            reason = "server"
        delay = self._backoff.delay(run.hold.failures, self._rng, minimum=minimum)
        return _Hold(until=self._clock.now() + delay, failures=run.hold.failures + 1, reason=reason)


@dataclass
class _Sorted:
    """A set of outcomes by what they do to their entries."""

    done: list[str] = field(default_factory=list)  # keys of the entries the server has
    changed: list[Entry] = field(default_factory=list)  # entries failed for good (so far)
    failed: int = 0
    paused: bool = False  # a login is needed; the entry is untouched (not an attempt)
    local: list[tuple[Entry, Outcome]] = field(default_factory=list)  # retried on their own
    held: list[tuple[Entry, Outcome]] = field(default_factory=list)  # retried after a hold

    @classmethod
    def of(cls, pairs: Sequence[tuple[Entry, Outcome]]) -> _Sorted:
        sorted_ = cls()
        for entry, outcome in pairs:
            if outcome.decision is Decision.SUCCESS:
                sorted_.done.append(entry.key)
            elif outcome.decision is Decision.FAIL:
                sorted_.changed.append(entry.failed(outcome.error or _UNKNOWN))
                sorted_.failed += 1
            elif outcome.decision is Decision.PAUSE_AUTH:
                sorted_.paused = True
            elif outcome.whole_outbox:
                sorted_.held.append((entry, outcome))
            else:
                sorted_.local.append((entry, outcome))
        return sorted_


def _longest_wait(pairs: Sequence[tuple[Entry, Outcome]]) -> float | None:
    waits = [outcome.retry_after for _, outcome in pairs if outcome.retry_after is not None]
    return max(waits) if waits else None
