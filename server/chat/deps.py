"""Dependencies of the chat-log API."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Request
from litestar.di import NamedDependency
from litestar.params import FromPath

from server.accounts.deps import require_user, session_user_id
from server.accounts.services import AccountService
from server.chat.services import is_owned
from server.errors import NotFound

__all__ = ["provide_owned_session"]


async def provide_owned_session(
    session_id: FromPath[UUID],
    request: Request[Any, Any, Any],
    accounts: NamedDependency[AccountService],
) -> UUID:
    """The path's session id once it is known to be the user's, else ``404 not_found``.

    One query on the hot path: the session's foreign key vouches for the account. Only when
    the session is not the user's is the account looked up, to answer ``401`` if it is gone.
    """
    account_id = session_user_id(request)
    if account_id is not None and await is_owned(account_id, session_id):
        return session_id
    await require_user(request, accounts)
    raise NotFound("No such chat session.")
