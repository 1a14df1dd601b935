"""What waits in the outbox: one entry per session to create and per message to store.

Entries are immutable; the worker derives the next version of an entry (``failed``,
``rescheduled``, ``retried``) and writes it back through the store. ``to_dict``/``entry_from_dict``
turn an entry into a plain JSON-safe dict and back, which is what the IndexedDB adapter keeps
(its key path is ``"key"``), so the chat side can write the history row and the outbox entry in
one transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, Self, TypeVar

from app import contract
from app.contract import ContractError, from_wire, to_wire

__all__ = [
    "ENTRY_FORMAT_VERSION",
    "Entry",
    "EntryState",
    "ErrorInfo",
    "MessageEntry",
    "MessagePayload",
    "SessionEntry",
    "SessionPayload",
    "entry_from_dict",
    "message_key",
    "session_key",
]

ENTRY_FORMAT_VERSION = 1
"""The ``"v"`` field of a stored entry dict; bump it (and migrate) when the format changes."""

_ROLES = ("user", "assistant")
_P = TypeVar("_P")


def session_key(client_session_id: str) -> str:
    """The outbox key of the entry that creates session ``client_session_id``."""
    return f"session:{client_session_id}"


def message_key(client_session_id: str, client_message_id: str) -> str:
    """The outbox key of the entry that stores one message of a session."""
    return f"message:{client_session_id}:{client_message_id}"


class EntryState(StrEnum):
    """Whether the worker still sends an entry."""

    PENDING = "pending"
    """Waiting to be sent (now, or at ``next_attempt_at`` after a retryable failure)."""
    FAILED = "failed"
    """The server refused it; it stays until the user retries or discards it."""


@dataclass(frozen=True)
class ErrorInfo:
    """Why the last attempt did not succeed, as the server (or the client) put it."""

    code: str
    """Stable snake_case code: the server's (``validation_failed``…) or ours (``network_error``…)."""
    message: str
    """A human sentence to show next to the entry."""
    details: tuple[tuple[str, str], ...] = ()
    """``(field, message)`` pairs, from a ``422`` body's ``details``."""

    def to_dict(self) -> dict[str, Any]:
        """The JSON-safe form: the contract's ``ErrorBody``."""
        details = [contract.FieldError(f, m) for f, m in self.details] or None
        return to_wire(contract.ErrorBody(self.code, self.message, details))  # type: ignore[no-any-return]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ErrorInfo:
        """Read what ``to_dict`` wrote."""
        body = _read(contract.ErrorBody, data)
        details = tuple((d.field, d.message) for d in body.details or ())
        return cls(code=body.code, message=body.message, details=details)


@dataclass(frozen=True)
class SessionPayload:
    """The body of ``POST /sessions``, less the ``clientSessionId`` the entry carries."""

    character_id: str
    character_name: str
    model_id: str
    created_at: str
    """RFC 3339 timestamp, as the chat side wrote it."""
    title: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The stored form: ``SessionIn``'s camelCase fields (see ``app/contract.py``)."""
        return to_wire(self)  # type: ignore[no-any-return]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SessionPayload:
        """Read what ``to_dict`` wrote."""
        return _read(cls, data)


@dataclass(frozen=True)
class MessagePayload:
    """One message's content, less the ids and ``seq`` the entry carries."""

    role: str
    """``"user"`` or ``"assistant"``."""
    content: str
    """The raw text, exactly as shown."""
    created_at: str
    """RFC 3339 timestamp."""
    model_id: str | None = None
    stats: Mapping[str, Any] | None = None
    """Free-form, small, JSON-safe (e.g. tokens per second)."""

    def __post_init__(self) -> None:
        if self.role not in _ROLES:
            raise ValueError(f"role must be one of {_ROLES}, not {self.role!r}")
        if not isinstance(self.content, str):
            raise ValueError("content must be a string")

    def to_dict(self) -> dict[str, Any]:
        """The stored form: ``MessageIn``'s camelCase fields (see ``app/contract.py``)."""
        return to_wire(self)  # type: ignore[no-any-return]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MessagePayload:
        """Read what ``to_dict`` wrote."""
        return _read(cls, data)


def _read(shape: type[_P], data: Mapping[str, Any]) -> _P:
    try:
        return from_wire(shape, data)
    except ContractError as exc:
        raise ValueError(f"malformed outbox payload: {exc}") from exc


@dataclass(frozen=True, kw_only=True)
class _EntryBase:
    """Fields and transitions shared by both kinds of entry."""

    client_session_id: str
    """The idempotency key of the session (a UUID the client made)."""
    order: int = 0
    """Creation order, assigned by the store on ``enqueue``; sessions are flushed in this order."""
    attempts: int = 0
    """Retryable failures so far (drives the backoff); reset by a user's retry."""
    next_attempt_at: float = 0.0
    """Clock time (Unix seconds) before which the entry is not sent."""
    last_error: ErrorInfo | None = None
    state: EntryState = EntryState.PENDING

    def __post_init__(self) -> None:
        if not isinstance(self.client_session_id, str) or not self.client_session_id:
            raise ValueError("client_session_id must be a non-empty string")
        if self.attempts < 0:
            raise ValueError("attempts must not be negative")

    @property
    def key(self) -> str:
        """The store key, unique per idempotency key."""
        raise NotImplementedError

    @property
    def pending(self) -> bool:
        """True while the worker still sends this entry."""
        return self.state is EntryState.PENDING

    def failed(self, error: ErrorInfo) -> Self:
        """This entry, refused for good (until the user retries it)."""
        return replace(self, state=EntryState.FAILED, last_error=error)

    def rescheduled(self, next_attempt_at: float, error: ErrorInfo | None) -> Self:
        """This entry after one more retryable failure, due again at ``next_attempt_at``."""
        return replace(
            self, attempts=self.attempts + 1, next_attempt_at=next_attempt_at, last_error=error
        )

    def retried(self, now: float) -> Self:
        """This entry back in the queue, due at ``now``, with a fresh backoff."""
        return replace(
            self, state=EntryState.PENDING, attempts=0, next_attempt_at=now, last_error=None
        )

    def _common_dict(self, kind: str) -> dict[str, Any]:
        return {
            "v": ENTRY_FORMAT_VERSION,
            "kind": kind,
            "key": self.key,
            "clientSessionId": self.client_session_id,
            "order": self.order,
            "attempts": self.attempts,
            "nextAttemptAt": self.next_attempt_at,
            "lastError": self.last_error.to_dict() if self.last_error else None,
            "state": self.state.value,
        }

    @staticmethod
    def _common_fields(data: Mapping[str, Any]) -> dict[str, Any]:
        error = data.get("lastError")
        return {
            "client_session_id": data["clientSessionId"],
            "order": int(data.get("order", 0)),
            "attempts": int(data.get("attempts", 0)),
            "next_attempt_at": float(data.get("nextAttemptAt", 0.0)),
            "last_error": ErrorInfo.from_dict(error) if error else None,
            "state": EntryState(data.get("state", EntryState.PENDING.value)),
        }


@dataclass(frozen=True, kw_only=True)
class SessionEntry(_EntryBase):
    """Create the session on the server (``POST /sessions``) before any of its messages."""

    payload: SessionPayload

    @property
    def key(self) -> str:
        """``session:<clientSessionId>``."""
        return session_key(self.client_session_id)

    def body(self) -> dict[str, Any]:
        """The request body of ``POST /api/v1/character-chat/sessions``: a ``SessionIn``."""
        shape = contract.SessionIn(client_session_id=self.client_session_id, **vars(self.payload))
        return to_wire(shape)  # type: ignore[no-any-return]

    def to_dict(self) -> dict[str, Any]:
        """The JSON-safe stored form."""
        return {**self._common_dict("session"), "payload": self.payload.to_dict()}


@dataclass(frozen=True, kw_only=True)
class MessageEntry(_EntryBase):
    """Store one message of a session (through the batch endpoint), idempotent by its id."""

    client_message_id: str
    """The message's idempotency key (a UUID the client made)."""
    seq: int
    """Position in the session, from 0; messages of a session are sent in this order."""
    payload: MessagePayload

    def __post_init__(self) -> None:
        super().__post_init__()
        if not isinstance(self.client_message_id, str) or not self.client_message_id:
            raise ValueError("client_message_id must be a non-empty string")
        if isinstance(self.seq, bool) or not isinstance(self.seq, int) or self.seq < 0:
            raise ValueError("seq must be an integer >= 0")

    @property
    def key(self) -> str:
        """``message:<clientSessionId>:<clientMessageId>``."""
        return message_key(self.client_session_id, self.client_message_id)

    def body(self) -> dict[str, Any]:
        """One item of the batch request (the single-message body has the same shape): a
        ``MessageIn``."""
        shape = contract.MessageIn(
            client_message_id=self.client_message_id, seq=self.seq, **vars(self.payload)
        )
        return to_wire(shape)  # type: ignore[no-any-return]

    def to_dict(self) -> dict[str, Any]:
        """The JSON-safe stored form."""
        return {
            **self._common_dict("message"),
            "clientMessageId": self.client_message_id,
            "seq": self.seq,
            "payload": self.payload.to_dict(),
        }


Entry = SessionEntry | MessageEntry
"""Anything the outbox holds."""


def entry_from_dict(data: Mapping[str, Any]) -> Entry:
    """Rebuild an entry from its stored dict; ``ValueError`` when the dict is not one."""
    if data.get("v") != ENTRY_FORMAT_VERSION:
        raise ValueError(f"unsupported outbox entry format: {data.get('v')!r}")
    try:
        entry: Entry
        if data.get("kind") == "session":
            entry = SessionEntry(
                **_EntryBase._common_fields(data),
                payload=SessionPayload.from_dict(data["payload"]),
            )
        elif data.get("kind") == "message":
            entry = MessageEntry(
                **_EntryBase._common_fields(data),
                client_message_id=data["clientMessageId"],
                seq=data["seq"],
                payload=MessagePayload.from_dict(data["payload"]),
            )
        else:
            raise ValueError(f"unknown outbox entry kind: {data.get('kind')!r}")
    except (KeyError, TypeError) as exc:
        raise ValueError(f"malformed outbox entry: {exc!r}") from exc
    if "key" in data and data["key"] != entry.key:
        raise ValueError(f"outbox entry key {data['key']!r} does not match its ids")
    return entry
