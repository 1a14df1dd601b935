"""The log API's wire contract, declared once: sessions, messages, batch items and results, and
the error body, as plain stdlib dataclasses that the page and the server both use.

The page cannot import msgspec (Pyodide has no build of it here), so the shapes are stdlib
dataclasses whose rules are :class:`Rule` markers in ``Annotated`` types. The page reads and
writes them with :func:`to_wire` / :func:`from_wire`, which enforce those rules; the server's
msgspec structs (``server/contract.py``) are generated from them by ``tools/contract_structs.py``
(a test fails when they differ), so Litestar validates and documents the same rules. Field
names are snake_case here and camelCase on the wire. A field whose default is ``None`` is left
out of a body while it is ``None``.

Limits and error codes live in ``app/wire.py``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, fields, is_dataclass
from datetime import datetime
from functools import cache
from types import NoneType, UnionType
from typing import (
    Annotated,
    Any,
    ClassVar,
    Literal,
    TypeVar,
    Union,
    get_args,
    get_origin,
    get_type_hints,
)
from uuid import UUID

from app import wire

__all__ = [
    "NO_NUL",
    "SHAPES",
    "TIMESTAMP",
    "UUID_TEXT",
    "BatchIn",
    "BatchOut",
    "BatchResult",
    "ContractError",
    "ErrorBody",
    "FieldError",
    "MessageIn",
    "MessageOut",
    "MessagePage",
    "Rule",
    "SessionIn",
    "SessionOut",
    "SessionPage",
    "camel",
    "from_wire",
    "parse_timestamp",
    "to_wire",
]

T = TypeVar("T")

NO_NUL = r"^[^\x00]*$"
"""PostgreSQL text cannot hold NUL, so no stored string may contain it (on either engine)."""


@dataclass(frozen=True)
class Rule:
    """What a value must satisfy, beyond its type (the server's ``msgspec.Meta``)."""

    min_length: int | None = None
    max_length: int | None = None
    ge: int | None = None
    le: int | None = None
    pattern: str | None = None
    description: str | None = None

    def problem(self, value: Any) -> str | None:
        """Why ``value`` breaks the rule, or ``None``."""
        if isinstance(value, str | list | dict):
            if self.min_length is not None and len(value) < self.min_length:
                return f"Expected length >= {self.min_length}"
            if self.max_length is not None and len(value) > self.max_length:
                return f"Expected length <= {self.max_length}"
        if isinstance(value, int):
            if self.ge is not None and value < self.ge:
                return f"Expected >= {self.ge}"
            if self.le is not None and value > self.le:
                return f"Expected <= {self.le}"
        if self.pattern is not None and isinstance(value, str):
            if re.search(self.pattern, value) is None:
                return f"Expected `str` matching regex {self.pattern!r}"
        return None


@dataclass(frozen=True)
class _Format:
    """Text with a format: a UUID, or an RFC 3339 timestamp with its offset."""

    name: str


UUID_TEXT = _Format("uuid")
TIMESTAMP = _Format("timestamp")

Uuid = Annotated[str, UUID_TEXT]
Timestamp = Annotated[str, TIMESTAMP]
CharacterId = Annotated[str, Rule(min_length=1, max_length=wire.MAX_CHARACTER_ID, pattern=NO_NUL)]
Name = Annotated[str, Rule(min_length=1, max_length=wire.MAX_NAME, pattern=NO_NUL)]
Title = Annotated[str, Rule(max_length=wire.MAX_TITLE, pattern=NO_NUL)]
ModelId = Annotated[str, Rule(max_length=wire.MAX_NAME, pattern=NO_NUL)]
Content = Annotated[
    str,
    Rule(
        max_length=wire.MAX_CONTENT,
        pattern=NO_NUL,
        description=f"The raw text, up to {wire.MAX_CONTENT:,} characters.",
    ),
]
Seq = Annotated[int, Rule(ge=0, le=2**31 - 1)]
Stats = Annotated[
    dict[str, Any],
    Rule(
        max_length=wire.MAX_STATS_KEYS,
        description="Free-form generation statistics (tokens/s, ...); at most 16 KiB as JSON.",
    ),
]
Role = Literal["user", "assistant"]


# -- the shapes ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldError:
    """What is wrong with one field of a request."""

    field: str
    message: str


@dataclass(frozen=True)
class ErrorBody:
    """The body of every error response."""

    ABSENT_WHEN_NONE: ClassVar[bool] = True

    code: str
    message: str
    details: list[FieldError] | None = None


@dataclass(frozen=True)
class SessionIn:
    """Create a chat session; replaying the same ``clientSessionId`` returns the stored one."""

    client_session_id: Uuid
    character_id: CharacterId
    character_name: Name
    model_id: Name
    created_at: Timestamp
    title: Title | None = None


@dataclass(frozen=True)
class MessageIn:
    """One message to store once; ``clientMessageId`` is its idempotency key in the session."""

    client_message_id: Uuid
    role: Role
    content: Content
    seq: Seq
    created_at: Timestamp
    model_id: ModelId | None = None
    stats: Stats | None = None


@dataclass(frozen=True, kw_only=True)
class SessionOut(SessionIn):
    """A stored chat session: what was sent, with the server's ``id`` (used in message URLs)
    and when it last changed."""

    id: Uuid
    updated_at: Timestamp


@dataclass(frozen=True, kw_only=True)
class MessageOut(MessageIn):
    """A stored message: what was sent, with the server's ``id`` and its session's."""

    id: Uuid
    session_id: Uuid


@dataclass(frozen=True)
class BatchIn:
    """Many messages at once. Each item is checked on its own (see ``MessageIn``)."""

    messages: Annotated[
        list[dict[str, Any]],
        Rule(
            min_length=1,
            max_length=wire.MAX_BATCH_SIZE,
            description=f"1-{wire.MAX_BATCH_SIZE} `MessageIn` objects; an invalid one gets its "
            "own 422 result.",
        ),
    ]


@dataclass(frozen=True)
class BatchResult:
    """What happened to one item: 201 stored, 200 already stored, 409 conflict, 422 invalid."""

    ABSENT_WHEN_NONE: ClassVar[bool] = True

    client_message_id: str | None
    status: Literal[201, 200, 409, 422]
    id: Uuid | None = None
    error: ErrorBody | None = None


@dataclass(frozen=True)
class BatchOut:
    """One result per input item, in the same order."""

    results: list[BatchResult]


@dataclass(frozen=True)
class SessionPage:
    """A page of sessions, newest first; pass ``nextCursor`` back as ``cursor`` for more."""

    items: list[SessionOut]
    next_cursor: str | None


@dataclass(frozen=True)
class MessagePage:
    """Messages by ``seq``; pass ``nextAfterSeq`` back as ``afterSeq`` for more (null: no more)."""

    items: list[MessageOut]
    next_after_seq: int | None


SHAPES: tuple[type, ...] = (
    FieldError,
    ErrorBody,
    SessionIn,
    SessionOut,
    SessionPage,
    MessageIn,
    MessageOut,
    MessagePage,
    BatchIn,
    BatchResult,
    BatchOut,
)
"""Every shape, each after those it holds (the order the server's structs are generated in)."""


# -- reading and writing ------------------------------------------------------------------------


class ContractError(ValueError):
    """A value that is not what the contract says; ``field`` is its camelCase path."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field or 'body'}: {message}")
        self.field = field
        self.message = message


def camel(name: str) -> str:
    """``client_session_id`` -> ``clientSessionId``."""
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def to_wire(value: Any) -> Any:
    """A shape (or any dataclass) as JSON-ready data: camelCase keys, ``None`` defaults left
    out, lists and mappings copied."""
    if is_dataclass(value) and not isinstance(value, type):
        return {
            camel(f.name): to_wire(getattr(value, f.name))
            for f in fields(value)
            if not (f.default is None and getattr(value, f.name) is None)
        }
    if isinstance(value, list | tuple):
        return [to_wire(item) for item in value]
    if isinstance(value, Mapping):
        return {key: to_wire(item) for key, item in value.items()}
    return value


def from_wire(shape: type[T], data: Any) -> T:
    """``data`` (decoded JSON) read as ``shape``, every type and rule checked;
    :class:`ContractError` naming the first field that is wrong."""
    return _read_shape(shape, data, "")


def _read_shape(shape: type[T], data: Any, path: str) -> T:
    if not isinstance(data, Mapping):
        raise ContractError(path, "Expected `object`")
    hints, names = _layout(shape)  # type: ignore[arg-type]
    values: dict[str, Any] = {}
    for item, key in zip(fields(shape), names, strict=True):  # type: ignore[arg-type]
        where = f"{path}.{key}" if path else key
        value = data.get(key)
        if value is None and item.default is not MISSING:
            values[item.name] = item.default
        elif key not in data:
            raise ContractError(where, "Object missing required field")
        else:
            values[item.name] = _read(hints[item.name], value, where)
    return shape(**values)


@cache
def _layout(shape: type) -> tuple[dict[str, Any], tuple[str, ...]]:
    """A shape's field types and wire names, worked out once (the hints are evaluated)."""
    names = tuple(camel(item.name) for item in fields(shape))
    return get_type_hints(shape, include_extras=True), names


def _read(kind: Any, value: Any, path: str) -> Any:
    origin = get_origin(kind)
    if origin is UnionType:
        origin = Union
    reader = _READERS.get(origin)
    if reader is not None:
        return reader(kind, value, path)
    if is_dataclass(kind):
        return _read_shape(kind, value, path)  # type: ignore[arg-type]
    return _read_plain(kind, value, path)


def _read_annotated(kind: Any, value: Any, path: str) -> Any:
    base, *marks = get_args(kind)
    value = _read(base, value, path)
    for mark in marks:
        problem = mark.problem(value) if isinstance(mark, Rule) else _format_problem(mark, value)
        if problem:
            raise ContractError(path, problem)
    return value


def _read_union(kind: Any, value: Any, path: str) -> Any:
    options = get_args(kind)
    if value is None and NoneType in options:
        return None
    [first, *rest] = [option for option in options if option is not NoneType]
    for option in rest:  # the first option's error is the one reported
        try:
            return _read(option, value, path)
        except ContractError:
            pass
    return _read(first, value, path)


def _read_literal(kind: Any, value: Any, path: str) -> Any:
    if any(value == allowed and type(value) is type(allowed) for allowed in get_args(kind)):
        return value
    raise ContractError(path, f"Expected one of {list(get_args(kind))!r}")


def _read_list(kind: Any, value: Any, path: str) -> Any:
    if not isinstance(value, list):
        raise ContractError(path, "Expected `array`")
    [item_kind] = get_args(kind)
    return [_read(item_kind, item, f"{path}[{index}]") for index, item in enumerate(value)]


def _read_mapping(_kind: Any, value: Any, path: str) -> Any:
    if not isinstance(value, dict) or not all(isinstance(key, str) for key in value):
        raise ContractError(path, "Expected `object`")
    return dict(value)


_READERS: dict[Any, Callable[[Any, Any, str], Any]] = {
    Annotated: _read_annotated,
    Union: _read_union,
    Literal: _read_literal,
    list: _read_list,
    dict: _read_mapping,
    Mapping: _read_mapping,
}


def _read_plain(kind: Any, value: Any, path: str) -> Any:
    if kind is Any:
        return value
    names = {str: "str", int: "int", bool: "bool", float: "float"}
    if kind not in names:
        raise TypeError(f"the contract has no reader for {kind!r}")
    ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
    if kind is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    if not ok:
        raise ContractError(path, f"Expected `{names[kind]}`, got `{type(value).__name__}`")
    return value


def _format_problem(mark: Any, value: Any) -> str | None:
    if mark is UUID_TEXT:
        try:
            UUID(value)
        except ValueError:
            return "Invalid UUID"
        return None
    if mark is TIMESTAMP:
        moment = parse_timestamp(value)
        if moment is None:
            return "Invalid RFC3339 encoded datetime"
        return None if moment.tzinfo is not None else "Expected `datetime` with a timezone"
    return None


def parse_timestamp(text: str) -> datetime | None:
    """RFC 3339 text (``Z`` or an offset, any precision) as a datetime; ``None`` if it is not
    one. Naive when the text has no offset."""
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
