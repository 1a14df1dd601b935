"""The account table."""

from __future__ import annotations

from piccolo.columns import UUID, Text, Timestamptz, Varchar
from piccolo.table import Table

__all__ = ["Account"]


class Account(Table, tablename="account"):
    """A person who logs in to keep their chat logs; the password is stored as an argon2 hash."""

    id = UUID(primary_key=True)
    username = Varchar(length=32, unique=True)
    """As registered: shown back, and still the way in for an account that a case-insensitive
    name collided with before names were compared without case."""
    username_key = Varchar(length=80)
    """The lower-case username; unique (an index of its migration), so ``Alice`` and ``alice``
    are one account."""
    password_hash = Text()
    created_at = Timestamptz()
