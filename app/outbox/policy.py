"""What each server answer means for an outbox entry, and how long to wait before retrying.

Pure functions of the response and the time; the worker (``app.outbox.sync``) applies them.

========================  =======================================  ==========================
Answer                    Decision                                 Whole outbox waits?
========================  =======================================  ==========================
``2xx``                   ``SUCCESS``: delete the entry            no
``401``                   ``PAUSE_AUTH``: stop until login         yes (paused)
``429``                   ``RETRY_RATE_LIMIT``: backoff, never     yes (the limit is per user)
                          sooner than ``Retry-After``
other ``4xx``             ``FAIL``: keep with the server's code    no
                          and message, never retried on its own
``5xx``                   ``RETRY``: backoff forever               only with ``Retry-After``
no answer                 ``RETRY``: backoff forever               yes (don't probe a dead
                                                                   network entry by entry)
========================  =======================================  ==========================

Two ``4xx`` are transient rather than the entry's fault, so they retry: ``408`` (request timeout)
and ``403`` with code ``csrf_failed`` (the token cookie was missing or rotated; the transport
fetches a fresh one). Any other status (``1xx``/``3xx``, which ``fetch`` should never hand us)
also retries.

Backoff is capped exponential with full jitter: ``uniform(0, min(cap, base * 2**attempts))``,
raised to ``Retry-After`` when the server gave one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any
from uuid import UUID

from app.outbox.entries import ErrorInfo
from app.outbox.ports import NetworkError, Response
from app.wire import STATUS_CODES, ErrorCode

if TYPE_CHECKING:
    from app.outbox.ports import Random

__all__ = [
    "BAD_RESPONSE",
    "NETWORK_ERROR",
    "SESSION_MISSING",
    "Backoff",
    "Decision",
    "Outcome",
    "bad_response",
    "batch_outcomes",
    "classify",
    "error_info",
    "parse_retry_after",
    "session_id_from",
]

NETWORK_ERROR = ErrorCode.NETWORK_ERROR.value
BAD_RESPONSE = ErrorCode.BAD_RESPONSE.value
SESSION_MISSING = ErrorCode.SESSION_MISSING.value
_SECONDS = re.compile(r"[0-9]+(?:\.[0-9]+)?")


class Decision(StrEnum):
    """What to do with the entries a request carried."""

    SUCCESS = "success"
    """Stored (``201``) or already stored (``200`` replay): delete the entries."""
    PAUSE_AUTH = "pause-auth"
    """Not logged in: pause the whole outbox until login; the entries stay as they are."""
    RETRY_RATE_LIMIT = "retry-rate-limit"
    """Too many requests: back off, no sooner than ``Retry-After``."""
    RETRY = "retry"
    """Server trouble or no answer: back off and try again, forever."""
    FAIL = "fail"
    """The server refused these entries: mark them failed, show the reason, don't retry."""


@dataclass(frozen=True)
class Outcome:
    """A classified answer."""

    decision: Decision
    status: int | None = None
    """The HTTP status; ``None`` for a network error."""
    error: ErrorInfo | None = None
    """Why it did not succeed (``None`` on success)."""
    retry_after: float | None = None
    """Seconds the server asked us to wait (``Retry-After``); a minimum for the backoff."""
    whole_outbox: bool = False
    """True when nothing else should be sent either until the backoff ends (or login)."""

    @property
    def retryable(self) -> bool:
        """True for both kinds of retry."""
        return self.decision in (Decision.RETRY, Decision.RETRY_RATE_LIMIT)


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:  # be lenient about an adapter that kept the original case
        value = next((v for k, v in headers.items() if k.lower() == name), None)
    return value


def parse_retry_after(value: str | None, *, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delay-seconds or HTTP-date), else ``None``.

    A date in the past means 0; anything unparseable is ignored (``None``).
    """
    if value is None:
        return None
    text = value.strip()
    if _SECONDS.fullmatch(text):
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # "-0000": the RFC says HTTP-dates are GMT
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now)


def error_info(status: int, body: Any) -> ErrorInfo:
    """The error to keep for a non-``2xx``: the body's ``{code, message, details}`` if present."""
    known = STATUS_CODES.get(status)
    code = known.value if known else f"http_{status}"
    message = f"The server answered HTTP {status}."
    details: tuple[tuple[str, str], ...] = ()
    if isinstance(body, Mapping):
        if isinstance(body.get("code"), str) and body["code"]:
            code = body["code"]
        if isinstance(body.get("message"), str) and body["message"]:
            message = body["message"]
        raw = body.get("details")
        if isinstance(raw, list):
            details = tuple(
                (str(item.get("field", "")), str(item.get("message", "")))
                for item in raw
                if isinstance(item, Mapping)
            )
    return ErrorInfo(code=code, message=message, details=details)


def classify(result: Response | NetworkError, *, now: float) -> Outcome:
    """Decide what a request's result means (see the module table); ``now`` reads HTTP-dates."""
    if isinstance(result, NetworkError):
        message = str(result) or "The server could not be reached."
        return Outcome(Decision.RETRY, error=ErrorInfo(NETWORK_ERROR, message), whole_outbox=True)
    status = result.status
    if 200 <= status < 300:
        return Outcome(Decision.SUCCESS, status=status)
    error = error_info(status, result.body)
    retry_after = parse_retry_after(_header(result.headers, "retry-after"), now=now)
    if status == 401:
        return Outcome(Decision.PAUSE_AUTH, status=status, error=error, whole_outbox=True)
    if status == 429:
        return Outcome(
            Decision.RETRY_RATE_LIMIT,
            status=status,
            error=error,
            retry_after=retry_after,
            whole_outbox=True,
        )
    if status == 403 and error.code == "csrf_failed":
        return Outcome(
            Decision.RETRY, status=status, error=error, retry_after=retry_after, whole_outbox=True
        )
    if 400 <= status < 500 and status != 408:
        return Outcome(Decision.FAIL, status=status, error=error)
    return Outcome(
        Decision.RETRY,
        status=status,
        error=error,
        retry_after=retry_after,
        whole_outbox=retry_after is not None,
    )


def bad_response(status: int, what: str) -> Outcome:
    """A ``2xx`` whose body broke the contract: retried like a ``5xx``, for this entry only."""
    return Outcome(
        Decision.RETRY,
        status=status,
        error=ErrorInfo(BAD_RESPONSE, f"The server's answer was not understood: {what}."),
    )


def session_id_from(body: Any) -> str | None:
    """The server session id in a ``POST /sessions`` answer, or ``None`` if it has none."""
    if isinstance(body, Mapping) and isinstance(body.get("id"), str) and body["id"]:
        return str(body["id"])
    return None


def _same_id(echoed: Any, sent: str) -> bool:
    """The server may echo a UUID in its canonical form (lower case, hyphens)."""
    if echoed == sent:
        return True
    try:
        return UUID(str(echoed)) == UUID(sent)
    except ValueError:
        return False


def batch_outcomes(
    body: Any, client_message_ids: Sequence[str], *, now: float
) -> list[Outcome] | None:
    """Classify each per-item result of a ``2xx`` batch answer, in request order.

    ``None`` when the body is not one result per message, in order (a contract breach).
    """
    results = body.get("results") if isinstance(body, Mapping) else None
    if not isinstance(results, list) or len(results) != len(client_message_ids):
        return None
    outcomes = []
    for sent_id, item in zip(client_message_ids, results, strict=True):
        if not isinstance(item, Mapping):
            return None
        status = item.get("status")
        if isinstance(status, bool) or not isinstance(status, int):
            return None
        echoed = item.get("clientMessageId")
        if echoed is not None and not _same_id(echoed, sent_id):
            return None
        outcomes.append(classify(Response(status, {}, item.get("error")), now=now))
    return outcomes


@dataclass(frozen=True)
class Backoff:
    """Capped exponential backoff with full jitter."""

    base: float = 1.0
    """Seconds; the ceiling of the first retry's delay."""
    cap: float = 300.0
    """Seconds; no backoff ceiling grows past this (``Retry-After`` may still ask for more)."""

    def __post_init__(self) -> None:
        if not 0 < self.base <= self.cap:
            raise ValueError("need 0 < base <= cap")

    def ceiling(self, attempts: int) -> float:
        """``min(cap, base * 2**attempts)``, for ``attempts`` failures so far."""
        if attempts < 0:
            raise ValueError("attempts must not be negative")
        return min(self.cap, self.base * 2.0 ** min(attempts, 1000))

    def delay(self, attempts: int, rng: Random, *, minimum: float | None = None) -> float:
        """Seconds to wait: ``rng.uniform(0, ceiling(attempts))``, at least ``minimum``."""
        delay = rng.uniform(0.0, self.ceiling(attempts))
        if minimum is not None and delay < minimum:
            return minimum
        return delay
