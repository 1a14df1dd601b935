"""A chat's rules that sit between the UI and the stores: seqs, log entries, regeneration.

Everything exchanged is logged append-only: each version of a message the user saw finish
(a sent user message, a finished or stopped reply, a regenerated version, an edit) becomes one
outbox entry with its own ``clientMessageId``, so a replay is idempotent and an edit never
collides with what the server already stored (which would be a 409).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from app import wire
from app.markdown import plain_line
from app.models import Character, ChatSession, Message
from app.outbox.entries import Entry, MessageEntry, MessagePayload, SessionEntry, SessionPayload
from app.think import strip_reasoning

__all__ = [
    "history_for_reply",
    "log_entries",
    "log_message_id",
    "next_seq",
    "preview_line",
    "session_title",
    "with_preview",
]

PREVIEW_LENGTH = 120


def preview_line(messages: Sequence[Message]) -> str:
    """The sidebar's line for a chat: its last message as plain text, reasoning left out."""
    last = strip_reasoning(messages[-1].content) if messages else ""
    return plain_line(last)[:PREVIEW_LENGTH]


def with_preview(session: ChatSession, messages: Sequence[Message]) -> ChatSession:
    """``session`` with the preview of ``messages`` (all of its messages, by ``seq``)."""
    return replace(session, preview=preview_line(messages))


def next_seq(messages: Sequence[Message]) -> int:
    """The seq after the last message (0 for an empty chat)."""
    return max((message.seq for message in messages), default=-1) + 1


def log_message_id(message: Message, *, edited: bool = False) -> str:
    """The ``clientMessageId`` of the shown version; an edit gets an id from its new text."""
    base = message.client_message_id()
    if not edited:
        return base
    digest = hashlib.sha256(message.content.encode("utf-8")).hexdigest()[:32]
    return str(
        uuid.uuid5(uuid.UUID(base) if _is_uuid(base) else uuid.NAMESPACE_URL, f"edit:{digest}")
    )


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def session_title(character: Character, messages: Sequence[Message], limit: int = 60) -> str:
    """A default title: the first thing the user said, shortened."""
    first = next(
        (m.content.strip() for m in messages if m.role == "user" and m.content.strip()), ""
    )
    if not first:
        return character.name
    line = " ".join(first.split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def log_entries(
    session: ChatSession,
    character: Character,
    messages: Iterable[Message],
    *,
    model_id: str,
    edited: bool = False,
) -> list[Entry]:
    """The session entry (idempotent: the outbox keeps the first) and one entry per message."""
    entries: list[Entry] = [
        SessionEntry(
            client_session_id=session.id,
            payload=SessionPayload(
                character_id=character.id[: wire.MAX_CHARACTER_ID],
                character_name=(character.name or "?")[: wire.MAX_NAME],
                model_id=(model_id or session.model_id or "unknown")[: wire.MAX_NAME],
                created_at=session.created_at,
                title=(session.title or None) and session.title[: wire.MAX_TITLE],
            ),
        )
    ]
    for message in messages:
        if message.role not in ("user", "assistant"):
            continue
        stats: dict[str, Any] | None = dict(message.stats) if message.stats else None
        entries.append(
            MessageEntry(
                client_session_id=session.id,
                client_message_id=log_message_id(message, edited=edited),
                seq=message.seq,
                payload=MessagePayload(
                    role=message.role,
                    content=message.content,
                    created_at=message.created_at,
                    model_id=(model_id or None) if message.role == "assistant" else None,
                    stats=stats,
                ),
            )
        )
    return entries


def history_for_reply(
    messages: Sequence[Message], *, regenerate: bool
) -> tuple[list[Message], Message | None]:
    """What the model sees, and the reply to add a version to when regenerating.

    WebLLM needs the last message to be the user's: regenerating sends the history without
    the last assistant message, whose new version becomes another swipe of it.
    """
    history = list(messages)
    if regenerate and history and history[-1].role == "assistant":
        target = history.pop()
        return history, target
    return history, None
