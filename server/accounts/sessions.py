"""Cookie sessions and CSRF: Litestar's server-side sessions and CSRF middleware, configured.

- The session cookie (``session``) holds only a random id; the data lives in the ``sessions``
  store (files or Redis, see :mod:`server.stores`). HttpOnly, SameSite=Lax.
- CSRF: Litestar's double-submit cookie. Any GET (the page, ``/api/v1/auth/me``) sets the
  ``csrftoken`` cookie; unsafe requests must echo it in the ``x-csrftoken`` header.
- Both cookies get ``Secure`` when the request came over HTTPS (directly, or through a proxy
  uvicorn trusts for ``X-Forwarded-Proto``).
"""

from __future__ import annotations

import os
import re
import secrets
from typing import TYPE_CHECKING, Any

from litestar.config.csrf import CSRFConfig
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.middleware.csrf import generate_csrf_token
from litestar.middleware.session.server_side import (
    ServerSideSessionBackend,
    ServerSideSessionConfig,
)
from litestar.openapi.spec import Components, SecurityRequirement, SecurityScheme
from litestar.types import Empty

if TYPE_CHECKING:
    from pathlib import Path

    from litestar.connection import ASGIConnection
    from litestar.types import ASGIApp, Message, Receive, Scope, ScopeSession, Send

    from server.settings import Settings

__all__ = [
    "CSRF_ONLY",
    "SECURITY_COMPONENTS",
    "SESSION_AND_CSRF",
    "SESSION_ONLY",
    "SecureCookiesMiddleware",
    "SessionConfig",
    "csrf_config",
    "fresh_csrf_cookie",
    "rotate_session",
    "secret_key",
]

#: OpenAPI security schemes: the session cookie, and the CSRF token echoed in a header.
SECURITY_COMPONENTS = Components(
    security_schemes={
        "sessionCookie": SecurityScheme(
            type="apiKey",
            name="session",
            security_scheme_in="cookie",
            description="Set by register or login; HttpOnly.",
        ),
        "csrfHeader": SecurityScheme(
            type="apiKey",
            name="x-csrftoken",
            security_scheme_in="header",
            description="The value of the `csrftoken` cookie (set by any GET, e.g. "
            "`/api/v1/auth/me`), required on POST.",
        ),
    }
)
#: Handler ``security=`` values: what a GET needs, what a POST needs, and a POST without login.
SESSION_ONLY: list[SecurityRequirement] = [{"sessionCookie": []}]
SESSION_AND_CSRF: list[SecurityRequirement] = [{"sessionCookie": [], "csrfHeader": []}]
CSRF_ONLY: list[SecurityRequirement] = [{"csrfHeader": []}]


def secret_key(settings: Settings) -> str:
    """``SECRET_KEY``, or one generated on first start and kept in ``data_dir/secret_key``.

    Kept so that a restart (or a second worker on the same data_dir) accepts the CSRF tokens
    already handed out.
    """
    if settings.secret_key:
        return settings.secret_key
    path: Path = settings.data_dir / "secret_key"
    if not path.exists():
        # Written aside, then linked into place: a worker starting at the same moment reads
        # either no file or the whole key, and the first link wins.
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".secret_key.{os.getpid()}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as file:
            file.write(secrets.token_hex(32))
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text().strip()


def fresh_csrf_cookie(config: CSRFConfig) -> Cookie:
    """A new ``csrftoken`` cookie, as Litestar's CSRF middleware would set it: handed out when
    the session changes hands, so a token known before login is worthless after it."""
    return Cookie(
        key=config.cookie_name,
        value=generate_csrf_token(secret=config.secret),
        path=config.cookie_path,
        secure=config.cookie_secure,
        httponly=config.cookie_httponly,
        samesite=config.cookie_samesite,
        domain=config.cookie_domain,
    )


def csrf_config(settings: Settings) -> CSRFConfig:
    """Litestar's CSRF defaults (cookie ``csrftoken``, header ``x-csrftoken``) with our secret."""
    return CSRFConfig(secret=secret_key(settings))


#: Scope-state keys: the id whose session the cookie named and the store held, a request to
#: issue a fresh id, and the fresh id once drawn.
_KNOWN_ID = "session.known_id"
_ROTATE = "session.rotate"
_FRESH_ID = "session.fresh_id"

#: What :meth:`ServerSideSessionBackend.generate_session_id` makes (hex of 32 random bytes).
_WELL_FORMED_ID = re.compile(r"[0-9a-f]{64}")


def rotate_session(connection: ASGIConnection[Any, Any, Any, Any]) -> None:
    """Give this connection's session a fresh id on the way out and forget the old one.

    Called whenever who the session stands for changes (register, login, logout), so an id
    that was known before (planted by an attacker, or left by another account) never names
    the new account.
    """
    connection.scope["state"][_ROTATE] = True


class _SessionBackend(ServerSideSessionBackend):
    """Litestar's backend with ids only the server issued, rotated on demand, and without a
    store write and a cookie for every anonymous request.

    Litestar keeps whatever id the client's cookie carries, even one the store never held, so
    a cookie chosen by an attacker would become a victim's session id at login (fixation).
    Here a cookie only counts when it is well formed and the store holds its session;
    otherwise a new random id is drawn.
    """

    async def load_from_connection(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> dict[str, Any]:
        session_id = connection.cookies.get(self.config.key, "")
        if _WELL_FORMED_ID.fullmatch(session_id):
            store = self.config.get_store_from_app(connection.scope["app"])
            data = await self.get(session_id, store=store)
            if data is not None:
                connection.scope["state"][_KNOWN_ID] = session_id
                return self.deserialize_data(data)
        return {}

    def get_session_id(self, connection: ASGIConnection[Any, Any, Any, Any]) -> str:
        state = connection.scope["state"]
        known = state.get(_KNOWN_ID)
        if known and not state.get(_ROTATE):
            return str(known)
        fresh = state.get(_FRESH_ID)
        if fresh is None:
            fresh = state[_FRESH_ID] = self.generate_session_id()
        return str(fresh)

    async def store_in_message(
        self,
        scope_session: ScopeSession,
        message: Message,
        connection: ASGIConnection[Any, Any, Any, Any],
    ) -> None:
        state = connection.scope["state"]
        known = state.get(_KNOWN_ID)
        if scope_session is not Empty and not scope_session:
            if known is None and connection.cookies.get(self.config.key, "null") == "null":
                return  # nothing to remember, nothing to forget
            scope_session = Empty  # a stale or emptied session: drop it and its cookie
        if known and state.get(_ROTATE):
            store = self.config.get_store_from_app(connection.scope["app"])
            await self.delete(str(known), store=store)
        await super().store_in_message(scope_session, message, connection)


class SessionConfig(ServerSideSessionConfig):
    """Server-side sessions in the ``sessions`` store; HttpOnly, SameSite=Lax, 14 days."""

    _backend_class = _SessionBackend


class SecureCookiesMiddleware(ASGIMiddleware):
    """Mark every cookie ``Secure`` on responses to HTTPS requests."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        if scope.get("scheme") != "https":
            await next_app(scope, receive, send)
            return

        async def send_secure(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)
                cookies: list[str] = headers.getall("set-cookie", [])
                if cookies:
                    del headers["set-cookie"]
                    for cookie in cookies:
                        secure = "secure" in cookie.lower().replace(" ", "").split(";")
                        headers.add("set-cookie", cookie if secure else f"{cookie}; Secure")
            await send(message)

        await next_app(scope, receive, send_secure)
