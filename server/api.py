"""The JSON API under ``/api/v1``: accounts and character-chat logs, their cookie sessions and
their rate limits."""

from __future__ import annotations

from typing import TYPE_CHECKING

from litestar import Router
from litestar.datastructures import CacheControlHeader

from server.accounts.controllers import AuthController
from server.accounts.deps import account_dependencies
from server.accounts.sessions import SessionConfig
from server.chat.controllers import ChatController
from server.limits import api_rate_limit, auth_rate_limit
from server.stores import SESSIONS

if TYPE_CHECKING:
    from server.settings import Settings

__all__ = ["api_router"]


def api_router(settings: Settings) -> Router:
    """``/api/v1``: cookie sessions on every route, a per-address limit on register/login and a
    per-user limit on the chat logs."""
    auth = Router(path="/", route_handlers=[AuthController], middleware=[auth_rate_limit(settings)])
    chat = Router(path="/", route_handlers=[ChatController], middleware=[api_rate_limit(settings)])
    return Router(
        path="/api/v1",
        # Sessions, messages and who is logged in are private: never kept by a cache.
        cache_control=CacheControlHeader(no_store=True),
        route_handlers=[auth, chat],
        middleware=[SessionConfig(store=SESSIONS).middleware],
        dependencies=account_dependencies(settings),
    )
