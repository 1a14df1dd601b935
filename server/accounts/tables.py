"""The account table."""

from __future__ import annotations

from piccolo.columns import UUID, Text, Timestamptz, Varchar
from piccolo.table import Table

__all__ = ["Account"]


class Account(Table, tablename="account"):
    """A person who logs in to keep their chat logs; the password is stored as an argon2 hash."""

    id = UUID(primary_key=True)
    username = Varchar(length=32, unique=True)
    password_hash = Text()
    created_at = Timestamptz()
