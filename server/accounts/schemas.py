"""Wire shapes of the accounts API (camelCase)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import msgspec

__all__ = ["AuthStatus", "Credentials", "Password", "User", "Username"]

Username = Annotated[
    str,
    msgspec.Meta(
        min_length=3,
        max_length=32,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="3-32 letters, digits, `_` or `-`; letter case does not make another account.",
    ),
]
Password = Annotated[str, msgspec.Meta(min_length=8, max_length=256)]


class Credentials(msgspec.Struct, rename="camel"):
    """What register and login send."""

    username: Username
    password: Password


class User(msgspec.Struct, rename="camel"):
    """The logged-in account."""

    id: UUID
    username: str


class AuthStatus(msgspec.Struct, rename="camel"):
    """Who is logged in, if anyone: the page asks on load without causing an error."""

    user: User | None
