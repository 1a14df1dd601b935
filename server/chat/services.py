"""Chat logs: idempotent writes decided by the database's unique keys, keyset-paged reads.

Every write is ``INSERT ... ON CONFLICT (key) DO NOTHING RETURNING``: the row that wins is the
one the database kept, so concurrent identical requests (on any number of workers) store one
row, and the losers read the winner back. No HTTP here.
"""

from __future__ import annotations

import base64
import datetime
import struct
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID, uuid4

import msgspec
from piccolo.table import Table

from server.chat.schemas import check_message, check_timestamp
from server.chat.tables import ChatMessage, ChatSession
from server.contract import (
    BatchResult,
    MessageIn,
    MessageOut,
    MessagePage,
    SessionIn,
    SessionOut,
    SessionPage,
)
from server.errors import (
    Conflict,
    ErrorBody,
    FieldError,
    InvalidFields,
    field_errors,
)
from server.validation import strict_convert

if TYPE_CHECKING:
    from collections.abc import Sequence

    from piccolo.custom_types import Combinable

__all__ = [
    "append_batch",
    "append_message",
    "create_session",
    "is_owned",
    "list_messages",
    "list_sessions",
]


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _utc(value: datetime.datetime) -> datetime.datetime:
    """What the database gives back for a timestamptz: the same instant, in UTC."""
    return value.astimezone(datetime.UTC)


_Row = TypeVar("_Row", bound=Table)


def _new_row(table: type[_Row], data: SessionIn | MessageIn, **values: Any) -> _Row:
    """A row for a new write: a fresh id, every field of the request (each column bears its
    field's name, so the fields are not listed again here) with its time in UTC, and what
    the request cannot say (``values``: its owner)."""
    fields = msgspec.structs.asdict(data)
    return table(**{"id": uuid4(), **fields, "created_at": _utc(data.created_at), **values})


# Sessions -------------------------------------------------------------------------------------

_SESSION_COLUMNS = (
    ChatSession.id,
    ChatSession.client_session_id,
    ChatSession.character_id,
    ChatSession.character_name,
    ChatSession.model_id,
    ChatSession.title,
    ChatSession.created_at,
    ChatSession.updated_at,
)


def _session_out(row: dict[str, Any]) -> SessionOut:
    return SessionOut(**{column._meta.name: row[column._meta.name] for column in _SESSION_COLUMNS})


async def create_session(account_id: UUID, data: SessionIn) -> tuple[SessionOut, bool]:
    """The session for ``(account, clientSessionId)`` and whether this call created it."""
    if problems := check_timestamp(data.created_at, "createdAt"):
        raise InvalidFields(problems)
    session = _new_row(ChatSession, data, account=account_id, updated_at=_now())
    inserted = await (
        ChatSession.insert(session)
        .on_conflict(
            target=(ChatSession.account, ChatSession.client_session_id), action="DO NOTHING"
        )
        .returning(ChatSession.id)
    )
    if inserted:
        return _session_out(session.to_dict()), True
    stored = (
        await ChatSession.select(*_SESSION_COLUMNS)
        .where(
            (ChatSession.account == account_id)
            & (ChatSession.client_session_id == data.client_session_id)
        )
        .first()
    )
    assert stored is not None, "ON CONFLICT skipped the insert, so the row exists"
    return _session_out(stored), False


#: A cursor is (created_at in µs since the epoch, id), packed and base64url-encoded: 24 bytes,
#: 32 characters, so that every string matching ``CURSOR_PATTERN`` is a cursor.
_CURSOR = struct.Struct(">q16s")
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
_MICROSECOND = datetime.timedelta(microseconds=1)
_MICROS_RANGE = (
    (datetime.datetime.min.replace(tzinfo=datetime.UTC) - _EPOCH) // _MICROSECOND,
    (datetime.datetime.max.replace(tzinfo=datetime.UTC) - _EPOCH) // _MICROSECOND,
)


def _encode_cursor(row: SessionOut) -> str:
    micros = (row.created_at - _EPOCH) // _MICROSECOND
    return base64.urlsafe_b64encode(_CURSOR.pack(micros, row.id.bytes)).decode()


def _decode_cursor(cursor: str) -> tuple[datetime.datetime, UUID]:
    """A position in the newest-first order; out-of-range times are clamped, not refused."""
    micros, id_bytes = _CURSOR.unpack(base64.urlsafe_b64decode(cursor))
    low, high = _MICROS_RANGE
    return _EPOCH + min(max(micros, low), high) * _MICROSECOND, UUID(bytes=id_bytes)


async def list_sessions(account_id: UUID, limit: int, cursor: str | None) -> SessionPage:
    """The account's sessions, newest ``created_at`` first, keyset-paged on ``(created_at, id)``."""
    where: Combinable = ChatSession.account == account_id
    if cursor:
        created_at, session_id = _decode_cursor(cursor)
        where &= (ChatSession.created_at < created_at) | (
            (ChatSession.created_at == created_at) & (ChatSession.id < session_id)
        )
    rows = await (
        ChatSession.select(*_SESSION_COLUMNS)
        .where(where)
        .order_by(ChatSession.created_at, ChatSession.id, ascending=False)
        .limit(limit + 1)
    )
    items = [_session_out(row) for row in rows[:limit]]
    return SessionPage(
        items=items, next_cursor=_encode_cursor(items[-1]) if len(rows) > limit else None
    )


async def is_owned(account_id: UUID, session_id: UUID) -> bool:
    """Whether the chat session exists and is this account's (others' are never visible)."""
    return await ChatSession.exists().where(
        (ChatSession.id == session_id) & (ChatSession.account == account_id)
    )


# Messages -------------------------------------------------------------------------------------

_MESSAGE_COLUMNS = (
    ChatMessage.id,
    ChatMessage.client_message_id,
    ChatMessage.session,
    ChatMessage.role,
    ChatMessage.content,
    ChatMessage.seq,
    ChatMessage.created_at,
    ChatMessage.model_id,
    ChatMessage.stats,
)


def _message_out(row: dict[str, Any]) -> MessageOut:
    return MessageOut(
        id=row["id"],
        client_message_id=row["client_message_id"],
        session_id=row["session"],
        role=row["role"],
        content=row["content"],
        seq=row["seq"],
        created_at=row["created_at"],
        model_id=row["model_id"],
        stats=row["stats"],
    )


def _same_message(stored: dict[str, Any], message: MessageIn) -> bool:
    """A replay is the same message: same role, content and position."""
    return (stored["role"], stored["content"], stored["seq"]) == (
        message.role,
        message.content,
        message.seq,
    )


async def _insert(session_id: UUID, rows: Sequence[ChatMessage]) -> dict[UUID, UUID]:
    """Insert the rows whose key is free, in one statement: ``{clientMessageId: id}`` of those."""
    inserted = await (
        ChatMessage.insert(*rows)
        .on_conflict(
            target=(ChatMessage.session, ChatMessage.client_message_id), action="DO NOTHING"
        )
        .returning(ChatMessage.client_message_id, ChatMessage.id)
    )
    if inserted:
        await ChatSession.update({ChatSession.updated_at: _now()}).where(
            ChatSession.id == session_id
        )
    return {UUID(str(row["client_message_id"])): UUID(str(row["id"])) for row in inserted}


async def _stored(session_id: UUID, client_ids: Sequence[UUID]) -> dict[UUID, dict[str, Any]]:
    """The stored messages of the session with these client ids."""
    rows = await (
        ChatMessage.select(*_MESSAGE_COLUMNS)
        .where(
            (ChatMessage.session == session_id)
            & ChatMessage.client_message_id.is_in(list(client_ids))
        )
        .output(load_json=True)
    )
    return {UUID(str(row["client_message_id"])): row for row in rows}


_CONFLICT = "This clientMessageId is stored with different content."


async def append_message(session_id: UUID, message: MessageIn) -> tuple[MessageOut, bool]:
    """Store ``message`` once: ``(stored, created)``; :class:`Conflict` if its key holds other content."""
    if problems := check_message(message):
        raise InvalidFields(problems)
    row = _new_row(ChatMessage, message, session=session_id)
    if await _insert(session_id, [row]):
        return _message_out(row.to_dict()), True
    stored = (await _stored(session_id, [message.client_message_id]))[message.client_message_id]
    if not _same_message(stored, message):
        raise Conflict(_CONFLICT)
    return _message_out(stored), False


def _invalid(client_id: str | None, details: list[FieldError]) -> BatchResult:
    error = InvalidFields(details)
    body = ErrorBody(code=error.code, message=error.message, details=details)
    return BatchResult(client_message_id=client_id, status=422, error=body)


def _parse(item: dict[str, Any]) -> MessageIn | list[FieldError]:
    """One batch item as a message, or what is wrong with it (as the single append would say)."""
    try:
        message = strict_convert(item, MessageIn)
    except msgspec.ValidationError as exc:
        return field_errors(exc)
    return check_message(message) or message


async def append_batch(session_id: UUID, items: Sequence[dict[str, Any]]) -> list[BatchResult]:
    """Store each valid item once, in one INSERT; one result per item, in order.

    The first item with a given ``clientMessageId`` is the one inserted; later ones in the same
    batch are replays of it (200 or 409), exactly as if they came in a later request.
    """
    results: list[BatchResult | None] = [None] * len(items)
    valid: list[tuple[int, MessageIn]] = []
    for index, item in enumerate(items):
        parsed = _parse(item)
        if isinstance(parsed, MessageIn):
            valid.append((index, parsed))
        else:
            raw_id = item.get("clientMessageId")
            results[index] = _invalid(raw_id if isinstance(raw_id, str) else None, parsed)

    first: dict[UUID, int] = {}
    rows: list[ChatMessage] = []
    for index, message in valid:
        if message.client_message_id not in first:
            first[message.client_message_id] = index
            rows.append(_new_row(ChatMessage, message, session=session_id))
    created = await _insert(session_id, rows) if rows else {}

    def inserted_here(index: int, key: UUID) -> bool:
        return key in created and first[key] == index

    replayed = {m.client_message_id for i, m in valid if not inserted_here(i, m.client_message_id)}
    stored = await _stored(session_id, list(replayed)) if replayed else {}
    for index, message in valid:
        key = message.client_message_id
        if inserted_here(index, key):
            results[index] = BatchResult(client_message_id=str(key), status=201, id=created[key])
        elif _same_message(stored[key], message):
            stored_id = stored[key]["id"]
            results[index] = BatchResult(client_message_id=str(key), status=200, id=stored_id)
        else:
            error = ErrorBody(code=Conflict.code, message=_CONFLICT)
            results[index] = BatchResult(client_message_id=str(key), status=409, error=error)
    return [result for result in results if result is not None]


async def list_messages(session_id: UUID, after_seq: int, limit: int) -> MessagePage:
    """Messages with ``seq > after_seq`` in ``seq`` order, ``limit`` at a time.

    ``seq`` is the client's and need not be unique, so a page never ends inside a run of equal
    ``seq``: it is extended to the run's end, and the next page starts after it.
    """
    in_session = ChatMessage.session == session_id
    rows = await (
        ChatMessage.select(*_MESSAGE_COLUMNS)
        .where(in_session & (ChatMessage.seq > after_seq))
        .order_by(ChatMessage.seq, ChatMessage.id)
        .limit(limit + 1)
        .output(load_json=True)
    )
    if len(rows) <= limit:
        return MessagePage(items=[_message_out(row) for row in rows], next_after_seq=None)
    last_seq = rows[limit - 1]["seq"]
    page = rows[:limit]
    if rows[limit]["seq"] == last_seq:
        page = [row for row in page if row["seq"] != last_seq]
        page += await (
            ChatMessage.select(*_MESSAGE_COLUMNS)
            .where(in_session & (ChatMessage.seq == last_seq))
            .order_by(ChatMessage.id)
            .output(load_json=True)
        )
    return MessagePage(items=[_message_out(row) for row in page], next_after_seq=last_seq)
