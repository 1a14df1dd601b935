"""Dependencies and guards of the accounts domain, shared with the chat-log API."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from litestar import Request
from litestar.di import Provide
from litestar.exceptions import NotAuthorizedException

from server.accounts.schemas import User
from server.accounts.services import AccountService, password_hasher
from server.accounts.sessions import rotate_session
from server.limits import LOGIN_THROTTLE, LoginThrottle

if TYPE_CHECKING:
    from litestar.connection import ASGIConnection
    from litestar.handlers import BaseRouteHandler

    from server.settings import Settings

__all__ = [
    "account_dependencies",
    "log_in",
    "log_out",
    "require_user",
    "requires_login",
    "session_user",
    "session_user_id",
]

#: The session key holding the account id.
SESSION_USER_ID = "uid"


def session_user_id(connection: ASGIConnection[Any, Any, Any, Any]) -> UUID | None:
    """The account id the session cookie stands for, if any."""
    session = connection.scope.get("session")
    value = session.get(SESSION_USER_ID) if isinstance(session, dict) else None
    try:
        return UUID(value) if isinstance(value, str) else None
    except ValueError:
        return None


def requires_login(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Guard: ``401 unauthenticated`` before anything else (body validation included) runs."""
    if session_user_id(connection) is None:
        raise NotAuthorizedException("Log in to use this endpoint.")


async def session_user(request: Request[Any, Any, Any], accounts: AccountService) -> User | None:
    """The logged-in account, if any; a session whose account no longer exists is dropped."""
    account_id = session_user_id(request)
    user = await accounts.get(account_id) if account_id else None
    if user is None and account_id is not None:
        request.clear_session()
    return user


async def require_user(request: Request[Any, Any, Any], accounts: AccountService) -> User:
    """The logged-in account, or ``401 unauthenticated``."""
    user = await session_user(request, accounts)
    if user is None:
        raise NotAuthorizedException("Log in to use this endpoint.")
    return user


def account_dependencies(settings: Settings) -> dict[str, Provide]:
    """``accounts``, ``login_throttle`` and ``current_user`` for the API's handlers."""
    service = AccountService(password_hasher(settings.password_hash_profile))

    def provide_accounts() -> AccountService:
        return service

    def provide_login_throttle(request: Request[Any, Any, Any]) -> LoginThrottle:
        state = request.app.state
        if LOGIN_THROTTLE not in state:
            state[LOGIN_THROTTLE] = LoginThrottle(
                store=request.app.stores.get(LOGIN_THROTTLE),
                max_failures=settings.login_max_failures,
                window_s=settings.login_failure_window_s,
                max_failures_per_address=settings.login_max_failures_per_address,
            )
        throttle: LoginThrottle = state[LOGIN_THROTTLE]
        return throttle

    async def provide_current_user(request: Request[Any, Any, Any]) -> User:
        return await require_user(request, service)

    return {
        "accounts": Provide(provide_accounts, sync_to_thread=False),
        "login_throttle": Provide(provide_login_throttle, sync_to_thread=False),
        "current_user": Provide(provide_current_user),
    }


def log_in(request: Request[Any, Any, Any], user: User) -> None:
    """Remember ``user`` in the request's session, under a fresh session id (the cookie is set
    on the way out)."""
    rotate_session(request)
    request.set_session({SESSION_USER_ID: str(user.id)})


def log_out(request: Request[Any, Any, Any]) -> None:
    """Forget the session and its id."""
    rotate_session(request)
    request.clear_session()
