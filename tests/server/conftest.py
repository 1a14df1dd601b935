"""Every server test runs on SQLite and on PostgreSQL, each a fresh, migrated database.

PostgreSQL is ``TEST_DATABASE_URL`` or the local server at 127.0.0.1:5432/test. When it cannot
be reached the PostgreSQL half is skipped with the reason, except under ``CI=true``, where that
is a failure: CI must prove both engines.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest
import redis.asyncio as aioredis
from litestar import Litestar
from litestar.testing import AsyncTestClient
from redis.exceptions import RedisError

from server.app import create_app
from server.settings import Settings
from tests.support.live_server import migrate

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


async def _admin(url: str, sql: str) -> None:
    connection = await asyncpg.connect(url, timeout=5)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def fresh_postgres() -> Iterator[str]:
    """Create a throw-away database next to POSTGRES_URL's, drop it afterwards."""
    name = f"chat_test_{uuid.uuid4().hex[:12]}"
    try:
        asyncio.run(_admin(POSTGRES_URL, f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError) as exc:
        reason = f"PostgreSQL not reachable at {POSTGRES_URL}: {exc}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    try:
        yield _with_database(POSTGRES_URL, name)
    finally:
        asyncio.run(_admin(POSTGRES_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A migrated database URL, once per engine for the whole session."""
    if request.param == "sqlite":
        urls: Iterator[str] = iter([f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"])
    else:
        urls = fresh_postgres()
    url = next(urls)
    migrate({"DATABASE_URL": url})
    yield url
    next(urls, None)


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Litestar:
    """The app as ``create_app`` builds it, on the session's database."""
    return create_app(Settings(database_url=database_url, data_dir=tmp_path))


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """An HTTP client running the app's lifespan (connection pool included)."""
    async with AsyncTestClient(app=app) as test_client:
        yield test_client


#: Tables the API writes, children first.
APP_TABLES = ("chat_message", "chat_session", "account")


def _empty_tables(url: str) -> None:
    if url.startswith("postgresql"):
        asyncio.run(_admin(url, f"TRUNCATE {', '.join(APP_TABLES)} CASCADE"))
        return
    with sqlite3.connect(url.removeprefix("sqlite:///")) as connection:
        for table in APP_TABLES:
            connection.execute(f"DELETE FROM {table}")


@pytest.fixture(autouse=True)
def _isolated_rows(database_url: str) -> Iterator[None]:
    """Each test starts from empty tables (the schema is migrated once per engine)."""
    yield
    _empty_tables(database_url)


#: Fast hashing, and limits high enough that only the tests about limits meet them.
TEST_SETTINGS: dict[str, Any] = {
    "password_hash_profile": "CHEAPEST",
    "rate_limit_per_minute": 100_000,
    "auth_rate_limit_per_minute": 100_000,
    "login_max_failures_per_address": 100_000,
}

PASSWORD = "correct horse battery"


class Api:
    """An HTTP client for the API running in this event loop, as one browser would use it.

    Requests go through :class:`httpx.ASGITransport`, so ``asyncio.gather`` of many requests
    runs them concurrently against the app (and its real connection pool).
    """

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.http = client

    async def csrf(self) -> str:
        """Fetch the csrftoken cookie the way the page does, and send it back from now on."""
        if "csrftoken" not in self.http.cookies:
            await self.http.get("/api/v1/auth/me")
        token = self.http.cookies["csrftoken"]
        self.http.headers["x-csrftoken"] = token
        return token

    def follow_csrf_cookie(self) -> None:
        """Send the current csrftoken cookie, as the page does (it reads it per request):
        register and login hand out a fresh one."""
        if token := self.http.cookies.get("csrftoken"):
            self.http.headers["x-csrftoken"] = token

    async def register(self, username: str, password: str = PASSWORD) -> httpx.Response:
        await self.csrf()
        response = await self.http.post(
            "/api/v1/auth/register", json={"username": username, "password": password}
        )
        self.follow_csrf_cookie()
        return response

    async def login(self, username: str, password: str = PASSWORD) -> httpx.Response:
        await self.csrf()
        response = await self.http.post(
            "/api/v1/auth/login", json={"username": username, "password": password}
        )
        self.follow_csrf_cookie()
        return response


#: Request bodies and paths of the chat-log API, for the tests.
SESSIONS = "/api/v1/character-chat/sessions"


def session_body(**overrides: Any) -> dict[str, Any]:
    return {
        "clientSessionId": str(uuid.uuid4()),
        "characterId": "char-1",
        "characterName": "Aria",
        "modelId": "Qwen3-4B-q4f16_1-MLC",
        "title": "First chat",
        "createdAt": "2025-03-01T12:00:00+09:00",
        **overrides,
    }


def message_body(seq: int = 0, **overrides: Any) -> dict[str, Any]:
    return {
        "clientMessageId": str(uuid.uuid4()),
        "role": "user",
        "content": f"message {seq}",
        "seq": seq,
        "createdAt": "2025-03-01T12:00:00Z",
        **overrides,
    }


async def new_session(api: Api) -> str:
    response = await api.http.post(SESSIONS, json=session_body())
    assert response.status_code == 201
    return str(response.json()["id"])


def messages_url(session_id: str) -> str:
    return f"{SESSIONS}/{session_id}/messages"


@pytest.fixture
def api_settings(database_url: str, tmp_path: Path) -> Callable[..., Settings]:
    """Settings for an API test app; keyword arguments override :data:`TEST_SETTINGS`."""

    def make(**overrides: Any) -> Settings:
        values = {"database_url": database_url, "data_dir": tmp_path, **TEST_SETTINGS}
        return Settings(**{**values, **overrides})

    return make


@asynccontextmanager
async def started(app: Litestar) -> AsyncIterator[Litestar]:
    """Run ``app``'s lifespan (stores, connection pool) in this event loop until exit.

    In a task of its own: the lifespan's cancel scopes must exit in the task that entered
    them, and pytest-asyncio tears fixtures down in another task than it set them up in.
    """
    up, down = asyncio.Event(), asyncio.Event()

    async def lifespan() -> None:
        async with app.lifespan():
            up.set()
            await down.wait()

    task = asyncio.create_task(lifespan())
    await asyncio.wait([task, asyncio.create_task(up.wait())], return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        task.result()  # startup failed: raise its error
    try:
        yield app
    finally:
        down.set()
        await task


StartApi = Callable[..., AbstractAsyncContextManager[Api]]


@pytest.fixture
def start_api(api_settings: Callable[..., Settings]) -> StartApi:
    """Start an app with other settings: ``async with start_api(base_url=..., **settings) as api``."""

    @asynccontextmanager
    async def start(base_url: str = "http://testserver", **overrides: Any) -> AsyncIterator[Api]:
        app = create_app(api_settings(**overrides))
        transport = httpx.ASGITransport(app=app)
        async with (
            started(app),
            httpx.AsyncClient(transport=transport, base_url=base_url) as http,
        ):
            yield Api(http)

    return start


@pytest.fixture
async def api_app(api_settings: Callable[..., Settings]) -> AsyncIterator[Litestar]:
    """The app with :data:`TEST_SETTINGS`, started."""
    app = create_app(api_settings())
    async with started(app):
        yield app


@pytest.fixture
async def new_client(api_app: Litestar) -> AsyncIterator[Callable[[], Api]]:
    """Make independent clients (separate cookie jars) of the same running app."""
    clients: list[httpx.AsyncClient] = []

    def make() -> Api:
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=api_app), base_url="http://testserver"
        )
        clients.append(client)
        return Api(client)

    yield make
    for client in clients:
        await client.aclose()


@pytest.fixture
async def anon(new_client: Callable[[], Api]) -> Api:
    """A client that is not logged in (no cookies yet)."""
    return new_client()


@pytest.fixture
async def alice(new_client: Callable[[], Api]) -> Api:
    """A client registered and logged in as ``alice``, sending the CSRF header."""
    api = new_client()
    assert (await api.register("alice")).status_code == 201
    return api


@pytest.fixture
async def bob(new_client: Callable[[], Api]) -> Api:
    """Another logged-in user."""
    api = new_client()
    assert (await api.register("bob")).status_code == 201
    return api


@pytest.fixture
async def redis_url() -> str:
    """A reachable Redis (``TEST_REDIS_URL``); skipped when there is none, failed under CI."""
    client = aioredis.from_url(REDIS_URL)
    try:
        await client.ping()
    except (OSError, RedisError) as exc:
        reason = f"Redis not reachable at {REDIS_URL}: {exc}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    finally:
        await client.aclose()
    return REDIS_URL
