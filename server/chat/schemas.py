"""Wire shapes of the character-chat log API (camelCase), with their validation rules."""

from __future__ import annotations

import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec

from app import jsontext, wire
from server.errors import ErrorBody, FieldError

__all__ = [
    "CURSOR_PATTERN",
    "BatchIn",
    "BatchOut",
    "BatchResult",
    "MessageIn",
    "MessageOut",
    "MessagePage",
    "SessionIn",
    "SessionOut",
    "SessionPage",
    "Timestamp",
    "check_message",
    "check_timestamp",
]

#: PostgreSQL text cannot hold NUL, so no stored string may contain it (on either engine).
_NO_NUL = r"^[^\x00]*$"


# The limits are the page's too (app/wire.py): it clips what it logs to them.
CharacterId = Annotated[
    str, msgspec.Meta(min_length=1, max_length=wire.MAX_CHARACTER_ID, pattern=_NO_NUL)
]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=wire.MAX_NAME, pattern=_NO_NUL)]
Title = Annotated[str, msgspec.Meta(max_length=wire.MAX_TITLE, pattern=_NO_NUL)]
ModelId = Annotated[str, msgspec.Meta(max_length=wire.MAX_NAME, pattern=_NO_NUL)]
Content = Annotated[
    str,
    msgspec.Meta(
        max_length=wire.MAX_CONTENT,
        pattern=_NO_NUL,
        description=f"The raw text, up to {wire.MAX_CONTENT:,} characters.",
    ),
]


#: The first and last day that datetimes can hold: an instant on them may not convert to UTC.
_EDGE_DAYS = (datetime.date.min, datetime.date.max)

Timestamp = Annotated[
    datetime.datetime,
    msgspec.Meta(
        tz=True,
        extra_json_schema={
            "description": "RFC 3339 date-time with a time zone offset (or Z), "
            "on a day from 0001-01-02 to 9999-12-30.",
            "extra": {"pattern": r"^(?!0001-01-01|9999-12-31)"},
        },
    ),
]

Stats = Annotated[
    dict[str, Any],
    msgspec.Meta(
        max_length=wire.MAX_STATS_KEYS,
        description="Free-form generation statistics (tokens/s, ...); at most 16 KiB as JSON.",
    ),
]
_MAX_STATS_BYTES = wire.MAX_STATS_BYTES


def check_timestamp(value: datetime.datetime, field: str) -> list[FieldError]:
    """What the type cannot say: the value must be a day that converts to UTC safely."""
    if value.date() in _EDGE_DAYS:
        return [FieldError(field=field, message="Expected a day from 0001-01-02 to 9999-12-30")]
    return []


class SessionIn(msgspec.Struct, rename="camel"):
    """Create a chat session; replaying the same ``clientSessionId`` returns the stored one."""

    client_session_id: UUID
    character_id: CharacterId
    character_name: Name
    model_id: Name
    created_at: Timestamp
    title: Title | None = None


class SessionOut(msgspec.Struct, rename="camel"):
    """A stored chat session; ``id`` is the server's id used in message URLs."""

    id: UUID
    client_session_id: UUID
    character_id: str
    character_name: str
    model_id: str
    title: str | None
    created_at: datetime.datetime
    updated_at: datetime.datetime


#: What ``nextCursor`` looks like; any such string is a valid ``cursor``.
CURSOR_PATTERN = r"^[A-Za-z0-9_-]{32}$"


class SessionPage(msgspec.Struct, rename="camel"):
    """A page of sessions, newest first; pass ``nextCursor`` back as ``cursor`` for more."""

    items: list[SessionOut]
    next_cursor: str | None


#: How deeply a message's ``stats`` may nest: they are flat figures, and every reader (the
#: page's Python included) must be able to walk them.
MAX_STATS_DEPTH = 8


class MessageIn(msgspec.Struct, rename="camel"):
    """One message to store once; ``clientMessageId`` is its idempotency key in the session."""

    client_message_id: UUID
    role: Literal["user", "assistant"]
    content: Content
    seq: Annotated[int, msgspec.Meta(ge=0, le=2**31 - 1)]
    created_at: Timestamp
    model_id: ModelId | None = None
    stats: Stats | None = None


def check_message(message: MessageIn, prefix: str = "") -> list[FieldError]:
    """Rules beyond the types: the timestamp's range and the size of ``stats``."""
    problems = check_timestamp(message.created_at, f"{prefix}createdAt")
    if message.stats is not None and len(msgspec.json.encode(message.stats)) > _MAX_STATS_BYTES:
        problems.append(FieldError(field=f"{prefix}stats", message="Expected at most 16 KiB"))
    elif message.stats is not None and jsontext.deeper_than(message.stats, MAX_STATS_DEPTH):
        problems.append(
            FieldError(
                field=f"{prefix}stats",
                message=f"Expected at most {MAX_STATS_DEPTH} levels of nesting",
            )
        )
    return problems


class MessageOut(msgspec.Struct, rename="camel"):
    """A stored message."""

    id: UUID
    client_message_id: UUID
    session_id: UUID
    role: str
    content: str
    seq: int
    created_at: datetime.datetime
    model_id: str | None
    stats: dict[str, Any] | None


class MessagePage(msgspec.Struct, rename="camel"):
    """Messages by ``seq``; pass ``nextAfterSeq`` back as ``afterSeq`` for more (null: no more)."""

    items: list[MessageOut]
    next_after_seq: int | None


class BatchIn(msgspec.Struct, rename="camel"):
    """Many messages at once. Each item is checked on its own (see ``MessageIn``)."""

    messages: Annotated[
        list[dict[str, Any]],
        msgspec.Meta(
            min_length=1,
            max_length=wire.MAX_BATCH_SIZE,
            description=f"1-{wire.MAX_BATCH_SIZE} `MessageIn` objects; an invalid one gets its "
            "own 422 result.",
        ),
    ]


class BatchResult(msgspec.Struct, rename="camel", omit_defaults=True):
    """What happened to one item: 201 stored, 200 already stored, 409 conflict, 422 invalid."""

    client_message_id: str | None
    status: Literal[201, 200, 409, 422]
    id: UUID | msgspec.UnsetType = msgspec.UNSET
    error: ErrorBody | msgspec.UnsetType = msgspec.UNSET


class BatchOut(msgspec.Struct, rename="camel"):
    """One result per input item, in the same order."""

    results: list[BatchResult]
