"""What the character-chat log API checks beyond its wire shapes (those are the contract's,
``app/contract.py``, generated into ``server/contract.py``): a timestamp's range, the size of
``stats``, the cursor's form."""

from __future__ import annotations

import datetime

import msgspec

from app import jsontext, wire
from server.contract import MessageIn
from server.errors import FieldError

__all__ = ["CURSOR_PATTERN", "MAX_STATS_DEPTH", "check_message", "check_timestamp"]

#: The first and last day that datetimes can hold: an instant on them may not convert to UTC.
_EDGE_DAYS = (datetime.date.min, datetime.date.max)

#: What ``nextCursor`` looks like; any such string is a valid ``cursor``.
CURSOR_PATTERN = r"^[A-Za-z0-9_-]{32}$"

#: How deeply a message's ``stats`` may nest: they are flat figures, and every reader (the
#: page's Python included) must be able to walk them.
MAX_STATS_DEPTH = 8


def check_timestamp(value: datetime.datetime, field: str) -> list[FieldError]:
    """What the type cannot say: the value must be a day that converts to UTC safely."""
    if value.date() in _EDGE_DAYS:
        return [FieldError(field=field, message="Expected a day from 0001-01-02 to 9999-12-30")]
    return []


def check_message(message: MessageIn, prefix: str = "") -> list[FieldError]:
    """Rules beyond the types: the timestamp's range and the size of ``stats``."""
    problems = check_timestamp(message.created_at, f"{prefix}createdAt")
    if message.stats is not None and len(msgspec.json.encode(message.stats)) > wire.MAX_STATS_BYTES:
        problems.append(FieldError(field=f"{prefix}stats", message="Expected at most 16 KiB"))
    elif message.stats is not None and jsontext.deeper_than(message.stats, MAX_STATS_DEPTH):
        problems.append(
            FieldError(
                field=f"{prefix}stats",
                message=f"Expected at most {MAX_STATS_DEPTH} levels of nesting",
            )
        )
    return problems
