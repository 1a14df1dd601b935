"""Every server test runs on SQLite and on PostgreSQL, each a fresh, migrated database.

PostgreSQL is ``TEST_DATABASE_URL`` or the local server at 127.0.0.1:5432/test. When it cannot
be reached the PostgreSQL half is skipped with the reason, except under ``CI=true``, where that
is a failure: CI must prove both engines.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from server.app import create_app
from server.settings import Settings
from tests.support.live_server import migrate

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


async def _admin(url: str, sql: str) -> None:
    connection = await asyncpg.connect(url, timeout=5)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def _fresh_postgres() -> Iterator[str]:
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
        urls = _fresh_postgres()
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
