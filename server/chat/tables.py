"""Chat sessions and their messages, keyed by the client's idempotency ids.

The idempotency keys are unique indexes created in this app's second migration
(``(account, client_session_id)`` and ``(session, client_message_id)``): Piccolo 1.38 adds a
``Unique`` constraint with ``ALTER TABLE ... ADD CONSTRAINT``, which SQLite cannot run, while
``CREATE UNIQUE INDEX`` works on both engines and serves ``INSERT ... ON CONFLICT`` the same.
"""

from __future__ import annotations

from piccolo.columns import (
    JSON,
    UUID,
    ForeignKey,
    Integer,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from server.accounts.tables import Account

__all__ = ["ChatMessage", "ChatSession"]


class ChatSession(Table, tablename="chat_session"):
    """One conversation with a character; ``(account, client_session_id)`` is unique."""

    id = UUID(primary_key=True)
    account = ForeignKey(references=Account, on_delete=OnDelete.cascade, null=False)
    client_session_id = UUID()
    character_id = Varchar(length=128)
    character_name = Varchar(length=200)
    model_id = Varchar(length=200)
    title = Varchar(length=200, null=True, default=None)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class ChatMessage(Table, tablename="chat_message"):
    """One user or assistant message; ``(session, client_message_id)`` is unique."""

    id = UUID(primary_key=True)
    session = ForeignKey(references=ChatSession, on_delete=OnDelete.cascade, null=False)
    client_message_id = UUID()
    role = Varchar(length=16)
    content = Text()
    seq = Integer()
    created_at = Timestamptz()
    model_id = Varchar(length=200, null=True, default=None)
    stats = JSON(null=True, default=None)
