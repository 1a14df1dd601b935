"""The outbox's pure parts: response policy, backoff, entry and state formats."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from email.utils import format_datetime

import pytest

import app.outbox
from app.outbox import (
    Backoff,
    Decision,
    EntryState,
    ErrorInfo,
    MessageEntry,
    MessagePayload,
    NetworkError,
    OutboxState,
    Response,
    SessionEntry,
    SessionPayload,
    batch_outcomes,
    classify,
    entry_from_dict,
    error_info,
    parse_retry_after,
)
from app.outbox.policy import BAD_RESPONSE, bad_response, session_id_from

NOW = 1_700_000_000.0


def _http_date(seconds_from_now: float) -> str:
    return format_datetime(datetime.fromtimestamp(NOW + seconds_from_now, tz=UTC), usegmt=True)


def _error(code: str, message: str = "Nope.", **extra: object) -> dict[str, object]:
    return {"code": code, "message": message, **extra}


# -- classify -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("response", "decision", "whole_outbox", "retry_after", "code"),
    [
        pytest.param(Response(200, {}, {"id": "x"}), Decision.SUCCESS, False, None, None, id="200"),
        pytest.param(Response(201, {}, {"id": "x"}), Decision.SUCCESS, False, None, None, id="201"),
        pytest.param(Response(204), Decision.SUCCESS, False, None, None, id="204"),
        pytest.param(
            Response(401, {}, _error("unauthenticated")),
            Decision.PAUSE_AUTH,
            True,
            None,
            "unauthenticated",
            id="401",
        ),
        pytest.param(
            Response(400, {}, "bad"), Decision.FAIL, False, None, "bad_request", id="400-text"
        ),
        pytest.param(
            Response(403, {}, _error("forbidden")),
            Decision.FAIL,
            False,
            None,
            "forbidden",
            id="403",
        ),
        pytest.param(
            Response(403, {}, _error("csrf_failed")),
            Decision.RETRY,
            True,
            None,
            "csrf_failed",
            id="403-csrf",
        ),
        pytest.param(
            Response(404, {}, _error("not_found")),
            Decision.FAIL,
            False,
            None,
            "not_found",
            id="404",
        ),
        pytest.param(Response(408), Decision.RETRY, False, None, "request_timeout", id="408"),
        pytest.param(
            Response(409, {}, _error("conflict")), Decision.FAIL, False, None, "conflict", id="409"
        ),
        pytest.param(
            Response(413, {}, _error("payload_too_large")),
            Decision.FAIL,
            False,
            None,
            "payload_too_large",
            id="413",
        ),
        pytest.param(
            Response(422, {}, _error("validation_failed")),
            Decision.FAIL,
            False,
            None,
            "validation_failed",
            id="422",
        ),
        pytest.param(
            Response(429, {}, _error("rate_limited")),
            Decision.RETRY_RATE_LIMIT,
            True,
            None,
            "rate_limited",
            id="429-no-retry-after",
        ),
        pytest.param(
            Response(429, {"retry-after": "30"}, _error("rate_limited")),
            Decision.RETRY_RATE_LIMIT,
            True,
            30.0,
            "rate_limited",
            id="429-seconds",
        ),
        pytest.param(
            Response(429, {"retry-after": _http_date(90)}, None),
            Decision.RETRY_RATE_LIMIT,
            True,
            90.0,
            "rate_limited",
            id="429-http-date",
        ),
        pytest.param(
            Response(429, {"Retry-After": "7"}, None),
            Decision.RETRY_RATE_LIMIT,
            True,
            7.0,
            "rate_limited",
            id="429-header-case",
        ),
        pytest.param(
            Response(500, {}, _error("internal_error")),
            Decision.RETRY,
            False,
            None,
            "internal_error",
            id="500",
        ),
        pytest.param(
            Response(502, {}, "<html>Bad gateway</html>"),
            Decision.RETRY,
            False,
            None,
            "bad_gateway",
            id="502-html",
        ),
        pytest.param(
            Response(503, {"retry-after": "120"}, None),
            Decision.RETRY,
            True,
            120.0,
            "service_unavailable",
            id="503-retry-after",
        ),
        pytest.param(Response(504), Decision.RETRY, False, None, "gateway_timeout", id="504"),
        pytest.param(Response(302), Decision.RETRY, False, None, "http_302", id="302"),
    ],
)
def test_classify_response(
    response: Response,
    decision: Decision,
    whole_outbox: bool,
    retry_after: float | None,
    code: str | None,
) -> None:
    outcome = classify(response, now=NOW)
    assert outcome.decision is decision
    assert outcome.status == response.status
    assert outcome.whole_outbox is whole_outbox
    assert outcome.retry_after == pytest.approx(retry_after)
    assert (outcome.error.code if outcome.error else None) == code


def test_classify_network_error() -> None:
    outcome = classify(NetworkError("fetch failed"), now=NOW)
    assert outcome.decision is Decision.RETRY
    assert outcome.retryable
    assert outcome.whole_outbox
    assert outcome.status is None
    assert outcome.error == ErrorInfo("network_error", "fetch failed")
    assert classify(NetworkError(), now=NOW).error.message  # type: ignore[union-attr]


def test_fail_keeps_the_servers_code_message_and_field_details() -> None:
    body = {
        "code": "validation_failed",
        "message": "Some fields are invalid.",
        "details": [{"field": "messages[0].role", "message": "must be user or assistant"}],
    }
    outcome = classify(Response(422, {}, body), now=NOW)
    assert outcome.error == ErrorInfo(
        "validation_failed",
        "Some fields are invalid.",
        (("messages[0].role", "must be user or assistant"),),
    )


@pytest.mark.parametrize(
    ("status", "body", "code", "message"),
    [
        pytest.param(409, None, "conflict", "The server answered HTTP 409.", id="no-body"),
        pytest.param(418, {"detail": "x"}, "http_418", "The server answered HTTP 418.", id="other"),
        pytest.param(
            404, {"code": "", "message": 5}, "not_found", "The server answered HTTP 404.", id="junk"
        ),
        pytest.param(
            413, {"code": "too_big", "message": "Too big."}, "too_big", "Too big.", id="body"
        ),
    ],
)
def test_error_info_falls_back_to_the_status(
    status: int, body: object, code: str, message: str
) -> None:
    assert error_info(status, body) == ErrorInfo(code, message)


# -- Retry-After ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(None, None, id="absent"),
        pytest.param("", None, id="empty"),
        pytest.param("0", 0.0, id="zero"),
        pytest.param(" 120 ", 120.0, id="seconds-padded"),
        pytest.param("1.5", 1.5, id="fractional"),
        pytest.param("-5", None, id="negative"),
        pytest.param("soon", None, id="garbage"),
        pytest.param("\u00b2", None, id="unicode-digit"),
        pytest.param(_http_date(3600), 3600.0, id="http-date-future"),
        pytest.param(_http_date(-3600), 0.0, id="http-date-past"),
        pytest.param("Tue, 14 Nov 2023 22:14:20 -0000", 1_700_000_060.0 - NOW, id="minus-zero"),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, now=NOW) == pytest.approx(expected)


# -- backoff --------------------------------------------------------------------------------------


def test_backoff_ceiling_doubles_up_to_the_cap() -> None:
    backoff = Backoff(base=1.0, cap=300.0)
    assert [backoff.ceiling(n) for n in range(11)] == [
        1.0,
        2.0,
        4.0,
        8.0,
        16.0,
        32.0,
        64.0,
        128.0,
        256.0,
        300.0,
        300.0,
    ]
    assert backoff.ceiling(10_000) == 300.0  # no overflow after days offline
    with pytest.raises(ValueError, match="attempts must not be negative"):
        backoff.ceiling(-1)


@pytest.mark.parametrize(("base", "cap"), [(0.0, 1.0), (2.0, 1.0), (-1.0, 5.0)])
def test_backoff_rejects_nonsense(base: float, cap: float) -> None:
    with pytest.raises(ValueError, match="need 0 < base <= cap"):
        Backoff(base=base, cap=cap)


@pytest.mark.parametrize("attempts", [0, 1, 3, 8, 9, 50])
def test_full_jitter_stays_within_bounds_and_varies(attempts: int) -> None:
    backoff = Backoff(base=1.0, cap=300.0)
    rng = random.Random(attempts)
    ceiling = min(300.0, 2.0**attempts)
    delays = [backoff.delay(attempts, rng) for _ in range(2000)]
    assert all(0.0 <= d <= ceiling for d in delays)
    assert len(set(delays)) > 1900  # really random, not a fixed step
    # Full jitter spreads over the whole range, not just near the top.
    assert min(delays) < ceiling * 0.05
    assert max(delays) > ceiling * 0.95


def test_backoff_is_reproducible_with_a_seed() -> None:
    backoff = Backoff()
    first = [backoff.delay(n, random.Random(7)) for n in range(5)]
    assert first == [backoff.delay(n, random.Random(7)) for n in range(5)]


def test_retry_after_is_a_minimum_even_beyond_the_cap() -> None:
    backoff = Backoff(base=1.0, cap=10.0)
    rng = random.Random(1)
    assert all(backoff.delay(0, rng, minimum=30.0) == 30.0 for _ in range(100))
    delays = [backoff.delay(5, rng, minimum=4.0) for _ in range(500)]
    assert all(4.0 <= d <= 10.0 for d in delays)
    assert len(set(delays)) > 1


# -- response bodies ------------------------------------------------------------------------------


def test_batch_outcomes_classify_each_item_in_order() -> None:
    body = {
        "results": [
            {"clientMessageId": "a", "status": 201, "id": "1"},
            {"clientMessageId": "b", "status": 200, "id": "2"},
            {"clientMessageId": "c", "status": 409, "error": _error("conflict", "Differs.")},
            {"clientMessageId": None, "status": 422, "error": _error("validation_failed")},
        ]
    }
    outcomes = batch_outcomes(body, ["a", "b", "c", "d"], now=NOW)
    assert outcomes is not None
    assert [o.decision for o in outcomes] == [
        Decision.SUCCESS,
        Decision.SUCCESS,
        Decision.FAIL,
        Decision.FAIL,
    ]
    assert outcomes[2].error == ErrorInfo("conflict", "Differs.")


def test_batch_outcomes_accept_a_canonicalised_uuid() -> None:
    sent = "6F9619FF-8B86-D011-B42D-00C04FC964FF"
    body = {"results": [{"clientMessageId": sent.lower(), "status": 201, "id": "1"}]}
    outcomes = batch_outcomes(body, [sent], now=NOW)
    assert outcomes is not None
    assert outcomes[0].decision is Decision.SUCCESS


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(None, id="empty"),
        pytest.param({"results": "x"}, id="not-a-list"),
        pytest.param({"results": [{"status": 201}]}, id="too-few"),
        pytest.param({"results": [{"status": 201}, "x"]}, id="item-not-object"),
        pytest.param({"results": [{"status": 201}, {"status": "201"}]}, id="status-string"),
        pytest.param({"results": [{"status": 201}, {"status": True}]}, id="status-bool"),
        pytest.param(
            {"results": [{"status": 201, "clientMessageId": "b"}, {"status": 201}]},
            id="out-of-order",
        ),
    ],
)
def test_batch_outcomes_reject_a_broken_answer(body: object) -> None:
    assert batch_outcomes(body, ["a", "b"], now=NOW) is None


def test_session_id_and_bad_response() -> None:
    assert session_id_from({"id": "srv-1", "clientSessionId": "c"}) == "srv-1"
    assert session_id_from({"id": ""}) is None
    assert session_id_from("srv-1") is None
    outcome = bad_response(200, "no session id")
    assert outcome.decision is Decision.RETRY
    assert not outcome.whole_outbox
    assert outcome.error is not None
    assert outcome.error.code == BAD_RESPONSE


# -- entries --------------------------------------------------------------------------------------

SESSION = SessionEntry(
    client_session_id="cs-1",
    payload=SessionPayload(
        character_id="alice",
        character_name="Alice",
        model_id="Qwen3-8B-q4f16_1-MLC",
        created_at="2025-01-01T00:00:00Z",
    ),
)
MESSAGE = MessageEntry(
    client_session_id="cs-1",
    client_message_id="cm-1",
    seq=3,
    payload=MessagePayload(
        role="assistant",
        content="안녕하세요 <b>hi</b>",
        created_at="2025-01-01T00:00:01Z",
        model_id="Qwen3-8B-q4f16_1-MLC",
        stats={"tokensPerSecond": 21.5},
    ),
)


@pytest.mark.parametrize("entry", [SESSION, MESSAGE], ids=["session", "message"])
def test_entries_round_trip_through_json(entry: SessionEntry | MessageEntry) -> None:
    later = entry.rescheduled(NOW + 5, ErrorInfo("internal_error", "Oops.", (("f", "m"),)))
    for version in (entry, later, later.failed(ErrorInfo("conflict", "Differs."))):
        data = json.loads(json.dumps(version.to_dict()))
        assert entry_from_dict(data) == version


def test_entry_dict_format() -> None:
    assert MESSAGE.to_dict() == {
        "v": 1,
        "kind": "message",
        "key": "message:cs-1:cm-1",
        "clientSessionId": "cs-1",
        "clientMessageId": "cm-1",
        "seq": 3,
        "order": 0,
        "attempts": 0,
        "nextAttemptAt": 0.0,
        "lastError": None,
        "state": "pending",
        "payload": {
            "role": "assistant",
            "content": "안녕하세요 <b>hi</b>",
            "createdAt": "2025-01-01T00:00:01Z",
            "modelId": "Qwen3-8B-q4f16_1-MLC",
            "stats": {"tokensPerSecond": 21.5},
        },
    }
    assert SESSION.to_dict()["key"] == "session:cs-1"
    assert "title" not in SESSION.to_dict()["payload"]  # None is left out, as on the wire
    older = SESSION.to_dict() | {"payload": {**SESSION.to_dict()["payload"], "title": None}}
    assert entry_from_dict(older) == SESSION  # entries stored with an explicit null still read


def test_wire_bodies_omit_unset_optionals() -> None:
    assert SESSION.body() == {
        "clientSessionId": "cs-1",
        "characterId": "alice",
        "characterName": "Alice",
        "modelId": "Qwen3-8B-q4f16_1-MLC",
        "createdAt": "2025-01-01T00:00:00Z",
    }
    plain = MessageEntry(
        client_session_id="cs-1",
        client_message_id="cm-2",
        seq=0,
        payload=MessagePayload(role="user", content="", created_at="2025-01-01T00:00:00Z"),
    )
    assert plain.body() == {
        "clientMessageId": "cm-2",
        "role": "user",
        "content": "",
        "seq": 0,
        "createdAt": "2025-01-01T00:00:00Z",
    }
    assert MESSAGE.body()["stats"] == {"tokensPerSecond": 21.5}


def test_entry_transitions() -> None:
    error = ErrorInfo("internal_error", "Oops.")
    once = MESSAGE.rescheduled(NOW + 2, error)
    assert (once.attempts, once.next_attempt_at, once.last_error) == (1, NOW + 2, error)
    failed = once.failed(ErrorInfo("conflict", "Differs."))
    assert failed.state is EntryState.FAILED
    assert not failed.pending
    back = failed.retried(NOW)
    assert (back.state, back.attempts, back.next_attempt_at, back.last_error) == (
        EntryState.PENDING,
        0,
        NOW,
        None,
    )


@pytest.mark.parametrize(
    "data",
    [
        pytest.param({**MESSAGE.to_dict(), "v": 2}, id="future-version"),
        pytest.param({**MESSAGE.to_dict(), "kind": "reaction"}, id="unknown-kind"),
        pytest.param({**MESSAGE.to_dict(), "key": "message:cs-1:other"}, id="key-mismatch"),
        pytest.param({**MESSAGE.to_dict(), "seq": -1}, id="negative-seq"),
        pytest.param(
            {k: v for k, v in MESSAGE.to_dict().items() if k != "payload"}, id="no-payload"
        ),
        pytest.param(
            {**MESSAGE.to_dict(), "payload": {**MESSAGE.payload.to_dict(), "role": "system"}},
            id="bad-role",
        ),
        pytest.param({**SESSION.to_dict(), "clientSessionId": ""}, id="empty-session-id"),
    ],
)
def test_entry_from_dict_rejects_what_is_not_an_entry(data: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"outbox entry|must be|role must"):
        entry_from_dict(data)


# -- state ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "key"),
    [
        pytest.param(OutboxState(), "synced", id="empty"),
        pytest.param(OutboxState(waiting=3), "waiting", id="waiting"),
        pytest.param(OutboxState(waiting=3, offline=True), "offline", id="offline"),
        pytest.param(OutboxState(offline=True), "offline", id="offline-idle"),
        pytest.param(OutboxState(waiting=1, failed=1, offline=True), "failed", id="failed"),
        pytest.param(OutboxState(waiting=1, failed=1, paused=True), "paused", id="paused"),
    ],
)
def test_summary_key(state: OutboxState, key: str) -> None:
    assert state.summary_key() == key
    assert key in app.outbox.SUMMARY_KEYS


def test_state_round_trips_for_broadcast() -> None:
    state = OutboxState(
        waiting=2, failed=1, paused=True, offline=True, last_synced_at=NOW, next_attempt_at=NOW + 1
    )
    assert OutboxState.from_dict(json.loads(json.dumps(state.to_dict()))) == state
    assert OutboxState.from_dict({}) == OutboxState()


def test_package_exports_exactly_its_public_names() -> None:
    public = {name for name in vars(app.outbox) if not name.startswith("_")}
    modules = {"entries", "policy", "ports", "state", "sync", "annotations"}
    assert public - modules == set(app.outbox.__all__)  # kept sorted by ruff (RUF022)
