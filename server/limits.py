"""Request limits: body size, per-user and per-address rate limits, login throttling.

The rate limits (:class:`RateLimit`) count atomically in the app's stores, so in Redis when
several workers run; login throttling counts attempts per account and per
client address, atomically and before the password is checked, in a store of its own. All
of them answer ``429 rate_limited`` with ``Retry-After``.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

from litestar import Request
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.middleware.rate_limit import get_remote_address
from litestar.stores.base import Store
from litestar.stores.redis import RedisStore

from app import wire
from server.errors import RateLimited

if TYPE_CHECKING:
    from collections.abc import Callable

    from litestar.types import ASGIApp, Receive, Scope, Send

    from server.settings import Settings

__all__ = [
    "LOGIN_THROTTLE",
    "MAX_BODY_BYTES",
    "SKIP_RATE_LIMIT",
    "AttemptCounter",
    "LoginThrottle",
    "RateLimit",
    "api_rate_limit",
    "auth_rate_limit",
]

#: Largest request body accepted (``413 payload_too_large`` above it).
MAX_BODY_BYTES = wire.MAX_BODY_BYTES

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


class RateLimit(ASGIMiddleware):
    """``limit`` requests per ``window_s`` per identity, counted atomically (Redis ``INCR`` with
    several workers, see :class:`AttemptCounter`), in fixed windows.

    Litestar's own ``RateLimitMiddleware`` reads the history, then writes it back: concurrent
    requests read the same count and each lets itself through (a 40-request burst against a
    limit of 10 got 15 through in one process, 19 across two workers). Over the limit:
    ``429 rate_limited`` with ``Retry-After`` (the seconds left in the window).
    """

    scopes = (ScopeType.HTTP,)

    def __init__(
        self,
        store: str,
        limit: int,
        *,
        window_s: int = 60,
        identify: Callable[[Request[Any, Any, Any]], str] = get_remote_address,
    ) -> None:
        self.store_name = store
        self.limit = limit
        self.window_s = window_s
        self.identify = identify
        self._counter: AttemptCounter | None = None
        """Made at the first request, from the app's store (each app has its own instance)."""

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        handler = scope.get("route_handler")
        if handler is not None and handler.opt.get(SKIP_RATE_LIMIT):
            await next_app(scope, receive, send)
            return
        window = int(time.time() // self.window_s)
        identity = self.identify(Request(scope))
        if self._counter is None:
            self._counter = AttemptCounter(scope["litestar_app"].stores.get(self.store_name))
        count, ttl = await self._counter.hit(f"{identity}:{window}", self.window_s)
        if count > self.limit:
            raise RateLimited("Too many requests; try again later.", retry_after=ttl)
        await next_app(scope, receive, send)


def api_rate_limit(settings: Settings) -> RateLimit:
    """Per-user limit for the chat-log API."""
    return RateLimit(API_RATE_LIMIT, settings.rate_limit_per_minute, identify=_user_or_address)


def auth_rate_limit(settings: Settings) -> RateLimit:
    """Per-address limit for register and login (each one hashes a password)."""
    return RateLimit(AUTH_RATE_LIMIT, settings.auth_rate_limit_per_minute)


#: The longest a login lock-out lasts, however often it recurs.
MAX_LOCKOUT_S = 24 * 3600


class AttemptCounter:
    """Counters in a Litestar store that go up atomically and expire a window after the first
    count: Redis ``INCR`` when the store is Redis (shared by every worker), else a lock held
    around read-and-write in this process (the only process that sees a memory store)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._lock = asyncio.Lock()  # one counter per app and store: see LoginThrottle

    async def hit(self, key: str, window_s: int) -> tuple[int, int]:
        """Count one more; the new count and the seconds until the counter expires."""
        if isinstance(self.store, RedisStore):
            name = self.store._make_key(key)
            async with self.store._redis.pipeline(transaction=True) as pipe:
                pipe.incr(name)
                pipe.expire(name, window_s, nx=True)
                pipe.ttl(name)
                count, _, ttl = await pipe.execute()
            return int(count), int(ttl) if ttl and ttl > 0 else window_s
        async with self._lock:
            raw = await self.store.get(key)
            ttl = (await self.store.expires_in(key) if raw is not None else None) or window_s
            count = int(raw) + 1 if raw is not None else 1
            await self.store.set(key, str(count), expires_in=ttl)
            return count, ttl

    async def extend(self, key: str, seconds: int) -> None:
        """Keep the counter for ``seconds`` from now."""
        if isinstance(self.store, RedisStore):
            await self.store._redis.expire(self.store._make_key(key), seconds)
            return
        async with self._lock:
            raw = await self.store.get(key)
            if raw is not None:
                await self.store.set(key, raw, expires_in=seconds)

    async def undo(self, key: str) -> None:
        """Take back one count (the attempt turned out to be no failure)."""
        if isinstance(self.store, RedisStore):
            await self.store._redis.decr(self.store._make_key(key))
            return
        async with self._lock:
            raw = await self.store.get(key)
            if raw is not None:
                ttl = await self.store.expires_in(key)
                await self.store.set(key, str(max(0, int(raw) - 1)), expires_in=ttl or None)

    async def forget(self, key: str) -> None:
        """Start the count again from zero."""
        await self.store.delete(key)


class LoginThrottle:
    """Refuse logins to an account, and from an address, after too many failures.

    Every attempt is counted, atomically, *before* its password is checked, so a burst of
    concurrent guesses checks at most the allowed number of passwords. A success forgets the
    account's count. Each lock-out of the same key lasts twice as long as the one before
    (from ``window_s`` up to a day) while lock-outs keep recurring within a day.

    One instance per app (kept in the app's state), so its counter's lock is shared by every
    request that process serves.
    """

    def __init__(
        self, store: Store, max_failures: int, window_s: int, max_failures_per_address: int
    ) -> None:
        self.counter = AttemptCounter(store)
        self.max_failures = max_failures
        """Failed logins to one account allowed within the window."""
        self.max_failures_per_address = max_failures_per_address
        """Failed logins from one client address, to any accounts, within the window."""
        self.window_s = window_s
        """How long failures are remembered, in seconds."""

    def _keys(self, username: str, address: str) -> tuple[tuple[str, int], ...]:
        return (
            (f"account:{username.casefold()}", self.max_failures),
            (f"address:{address}", self.max_failures_per_address),
        )

    async def attempt(self, username: str, address: str) -> None:
        """Count this login; :class:`RateLimited` (and no password check) when it is one too
        many for the account or the address."""
        for key, limit in self._keys(username, address):
            count, ttl = await self.counter.hit(key, self.window_s)
            if count <= limit:
                continue
            if count == limit + 1:  # this attempt starts a lock-out: make it the longer one
                lockouts, _ = await self.counter.hit(f"lockouts:{key}", MAX_LOCKOUT_S)
                ttl = min(self.window_s * 2 ** (lockouts - 1), MAX_LOCKOUT_S)
                await self.counter.extend(key, ttl)
            raise RateLimited("Too many failed logins; try again later.", retry_after=ttl)

    async def succeeded(self, username: str, address: str) -> None:
        """The password was right: the account's failures are forgotten, and this attempt is
        not held against the address."""
        (account, _), (by_address, _) = self._keys(username, address)
        await self.counter.forget(account)
        await self.counter.undo(by_address)
