"""Request limits: body size, per-user and per-address rate limits, login throttling.

The rate limits are Litestar's ``RateLimitConfig`` (its counters live in the app's stores, so
in Redis when several workers run); login throttling counts failed logins per username and
client address in a store of its own. All of them answer ``429 rate_limited`` with
``Retry-After``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from litestar.middleware.rate_limit import RateLimitConfig, get_remote_address

from server.errors import RateLimited

if TYPE_CHECKING:
    from litestar import Request
    from litestar.stores.base import Store

    from server.settings import Settings

__all__ = [
    "LOGIN_THROTTLE",
    "MAX_BODY_BYTES",
    "SKIP_RATE_LIMIT",
    "LoginThrottle",
    "api_rate_limit",
    "auth_rate_limit",
]

#: Largest request body accepted (``413 payload_too_large`` above it).
MAX_BODY_BYTES = 1024 * 1024

#: Store names.
API_RATE_LIMIT = "api_rate_limit"
AUTH_RATE_LIMIT = "auth_rate_limit"
LOGIN_THROTTLE = "login_throttle"

#: Handler ``opt`` key that exempts a route from the rate limit of its router.
SKIP_RATE_LIMIT = "skip_rate_limit"


def _user_or_address(request: Request[Any, Any, Any]) -> str:
    """Logged-in requests count per user (whatever their address), others per address."""
    session = request.scope.get("session")
    user_id = session.get("uid") if isinstance(session, dict) else None
    return f"user:{user_id}" if user_id else f"addr:{get_remote_address(request)}"


def api_rate_limit(settings: Settings) -> RateLimitConfig:
    """Per-user limit for the chat-log API."""
    return RateLimitConfig(
        rate_limit=("minute", settings.rate_limit_per_minute),
        identifier_for_request=_user_or_address,
        exclude_opt_key=SKIP_RATE_LIMIT,
        store=API_RATE_LIMIT,
    )


def auth_rate_limit(settings: Settings) -> RateLimitConfig:
    """Per-address limit for register and login (each one hashes a password)."""
    return RateLimitConfig(
        rate_limit=("minute", settings.auth_rate_limit_per_minute),
        exclude_opt_key=SKIP_RATE_LIMIT,
        store=AUTH_RATE_LIMIT,
    )


class LoginThrottle:
    """Refuse logins for a username from an address after too many failures in a window."""

    def __init__(self, store: Store, max_failures: int, window_s: int) -> None:
        self.store = store
        """Failure counts, expiring ``window_s`` after the last failure."""
        self.max_failures = max_failures
        """Failures allowed before logins are refused."""
        self.window_s = window_s
        """How long failures are remembered, in seconds."""

    @staticmethod
    def _key(username: str, address: str) -> str:
        return f"{username.casefold()}|{address}"

    async def check(self, username: str, address: str) -> None:
        """Raise :class:`RateLimited` while this username and address are throttled."""
        key = self._key(username, address)
        failures = await self.store.get(key)
        if failures is not None and int(failures) >= self.max_failures:
            retry_after = await self.store.expires_in(key)
            raise RateLimited(
                "Too many failed logins; try again later.",
                retry_after=retry_after or self.window_s,
            )

    async def failed(self, username: str, address: str) -> None:
        """Count one failed login."""
        key = self._key(username, address)
        failures = await self.store.get(key)
        count = int(failures) + 1 if failures is not None else 1
        await self.store.set(key, str(count), expires_in=self.window_s)

    async def succeeded(self, username: str, address: str) -> None:
        """Forget the failures after a successful login."""
        await self.store.delete(self._key(username, address))
