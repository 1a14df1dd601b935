"""``/api/v1/auth``: register, login, logout, me, status."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response
from litestar.di import NamedDependency
from litestar.middleware.rate_limit import get_remote_address
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT

from server.accounts.deps import log_in, log_out, requires_login, session_user
from server.accounts.schemas import AuthStatus, Credentials, User
from server.accounts.services import AccountService
from server.accounts.sessions import CSRF_ONLY, SESSION_ONLY, fresh_csrf_cookie
from server.limits import LoginThrottle
from server.routes import api_get, api_post
from server.validation import strict_body

__all__ = ["AuthController"]


def _logged_in(request: Request[Any, Any, Any], user: User, status_code: int) -> Response[User]:
    """Log ``user`` in under a fresh session id, with a fresh CSRF token."""
    log_in(request, user)
    csrf = request.app.csrf_config
    cookies = [fresh_csrf_cookie(csrf)] if csrf is not None else []
    return Response(user, status_code=status_code, cookies=cookies)


class AuthController(Controller):
    """Accounts for the browser: cookie sessions, CSRF-protected."""

    path = "/auth"
    tags = ("auth",)
    guards = (strict_body,)

    @api_post("/register", "register", security=CSRF_ONLY, errors=(403, 409, 413, 429))
    async def register(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[Credentials],
        accounts: NamedDependency[AccountService],
    ) -> Response[User]:
        """Create an account and log in; ``409 username_taken`` if the name exists (in any
        letter case)."""
        user = await accounts.register(data.username, data.password)
        return _logged_in(request, user, HTTP_201_CREATED)

    @api_post(
        "/login", "login", status_code=HTTP_200_OK, security=CSRF_ONLY, errors=(401, 403, 413, 429)
    )
    async def login(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[Credentials],
        accounts: NamedDependency[AccountService],
        login_throttle: NamedDependency[LoginThrottle],
    ) -> Response[User]:
        """Log in; ``401 invalid_credentials``, or ``429`` after repeated failures (counted
        before the password is checked)."""
        address = get_remote_address(request)
        await login_throttle.attempt(data.username, address)
        user = await accounts.authenticate(data.username, data.password)
        await login_throttle.succeeded(data.username, address)
        return _logged_in(request, user, HTTP_200_OK)

    @api_post(
        "/logout",
        "logout",
        status_code=HTTP_204_NO_CONTENT,
        security=CSRF_ONLY,
        errors=(403,),
        rate_limited=False,
    )
    async def logout(self, request: Request[Any, Any, Any]) -> None:
        """End the session and forget its id (also fine when not logged in)."""
        log_out(request)

    @api_get(
        "/me",
        "me",
        guards=[requires_login],
        security=SESSION_ONLY,
        errors=(401,),
        rate_limited=False,
    )
    async def me(self, current_user: NamedDependency[User]) -> User:
        """The logged-in account; also hands out the ``csrftoken`` cookie."""
        return current_user

    @api_get("/status", "authStatus", errors=(), rate_limited=False)
    async def status(
        self, request: Request[Any, Any, Any], accounts: NamedDependency[AccountService]
    ) -> AuthStatus:
        """``{"user": {...}}`` when logged in, ``{"user": null}`` otherwise: never an error, so
        the page can ask on every load; also hands out the ``csrftoken`` cookie."""
        return AuthStatus(user=await session_user(request, accounts))
