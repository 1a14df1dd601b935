"""``/api/v1/auth``: register, login, logout, me, status."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.middleware.rate_limit import get_remote_address
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT

from server.accounts.deps import log_in, requires_login, session_user
from server.accounts.schemas import AuthStatus, Credentials, User
from server.accounts.services import AccountService, InvalidCredentials
from server.accounts.sessions import CSRF_ONLY, SESSION_ONLY
from server.errors import ApiOperation, error_responses
from server.limits import SKIP_RATE_LIMIT, LoginThrottle
from server.validation import strict_body

__all__ = ["AuthController"]


class AuthController(Controller):
    """Accounts for the browser: cookie sessions, CSRF-protected."""

    path = "/auth"
    tags = ["auth"]
    guards = [strict_body]

    @post(
        "/register",
        operation_id="register",
        operation_class=ApiOperation,
        status_code=HTTP_201_CREATED,
        security=CSRF_ONLY,
        responses=error_responses(403, 409, 413, 429),
    )
    async def register(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[Credentials],
        accounts: NamedDependency[AccountService],
    ) -> User:
        """Create an account and log in; ``409 username_taken`` if the name exists."""
        user = await accounts.register(data.username, data.password)
        log_in(request, user)
        return user

    @post(
        "/login",
        operation_id="login",
        operation_class=ApiOperation,
        status_code=HTTP_200_OK,
        security=CSRF_ONLY,
        responses=error_responses(401, 403, 413, 429),
    )
    async def login(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[Credentials],
        accounts: NamedDependency[AccountService],
        login_throttle: NamedDependency[LoginThrottle],
    ) -> User:
        """Log in; ``401 invalid_credentials``, or ``429`` after repeated failures."""
        address = get_remote_address(request)
        await login_throttle.check(data.username, address)
        try:
            user = await accounts.authenticate(data.username, data.password)
        except InvalidCredentials:
            await login_throttle.failed(data.username, address)
            raise
        await login_throttle.succeeded(data.username, address)
        log_in(request, user)
        return user

    @post(
        "/logout",
        operation_id="logout",
        operation_class=ApiOperation,
        status_code=HTTP_204_NO_CONTENT,
        security=CSRF_ONLY,
        responses=error_responses(403),
        opt={SKIP_RATE_LIMIT: True},
    )
    async def logout(self, request: Request[Any, Any, Any]) -> None:
        """End the session (also fine when not logged in)."""
        request.clear_session()

    @get(
        "/me",
        operation_id="me",
        operation_class=ApiOperation,
        guards=[requires_login],
        security=SESSION_ONLY,
        responses=error_responses(401),
        opt={SKIP_RATE_LIMIT: True},
        cache=False,
    )
    async def me(self, current_user: NamedDependency[User]) -> User:
        """The logged-in account; also hands out the ``csrftoken`` cookie."""
        return current_user

    @get(
        "/status",
        operation_id="authStatus",
        operation_class=ApiOperation,
        responses=error_responses(),
        opt={SKIP_RATE_LIMIT: True},
        cache=False,
    )
    async def status(
        self, request: Request[Any, Any, Any], accounts: NamedDependency[AccountService]
    ) -> AuthStatus:
        """``{"user": {...}}`` when logged in, ``{"user": null}`` otherwise: never an error, so
        the page can ask on every load; also hands out the ``csrftoken`` cookie."""
        return AuthStatus(user=await session_user(request, accounts))
