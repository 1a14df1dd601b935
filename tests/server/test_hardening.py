"""What an attacker tried: session fixation, password guessing (concurrent, or from many
claimed addresses), deep JSON, NUL bytes in paths, missing headers, look-alike usernames."""

from __future__ import annotations

import asyncio
import datetime
import os
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import argon2
import asyncpg
import httpx
import pytest

from server.accounts.services import password_hasher
from server.settings import Settings
from tests.server.conftest import (
    PASSWORD,
    SESSIONS,
    Api,
    StartApi,
    fresh_postgres,
    message_body,
    messages_url,
    new_session,
    session_body,
)
from tests.support.live_server import ROOT, serve

ME = "/api/v1/auth/me"


def _session_cookie(response: httpx.Response) -> str | None:
    return response.cookies.get("session")


# --- session fixation --------------------------------------------------------------------


async def _post_as(api: Api, path: str, body: dict[str, str], session: str) -> httpx.Response:
    """A POST that carries exactly this ``session`` cookie (an attacker can set any)."""
    token = await api.csrf()
    return await api.http.post(
        path, json=body, headers={"cookie": f"csrftoken={token}; session={session}"}
    )


@pytest.mark.parametrize(
    "planted", ["../../etc/passwd", "attacker-chosen", "0" * 64], ids=["path", "word", "hex"]
)
async def test_a_planted_session_cookie_never_becomes_the_session(
    new_client: Callable[[], Api], planted: str
) -> None:
    victim = new_client()
    username = f"victim_{uuid.uuid4().hex[:6]}"
    credentials = {"username": username, "password": PASSWORD}
    attacker = new_client()
    for path in ("/api/v1/auth/register", "/api/v1/auth/login"):
        response = await _post_as(victim, path, credentials, planted)
        assert response.status_code in {200, 201}, response.text
        assert _session_cookie(response) not in {None, planted}
        planted_me = await attacker.http.get(ME, headers={"cookie": f"session={planted}"})
        assert planted_me.status_code == 401


async def test_login_gives_a_new_session_id_and_ends_the_old_one(
    new_client: Callable[[], Api],
) -> None:
    api = new_client()
    assert (await api.register("olga")).status_code == 201
    first = api.http.cookies["session"]
    assert (await new_client().register("pete")).status_code == 201
    assert (await api.login("pete")).status_code == 200  # switching accounts
    second = api.http.cookies["session"]
    assert second != first
    stale = new_client()
    stale.http.cookies.set("session", first)
    assert (await stale.http.get(ME)).status_code == 401
    assert (await api.http.get(ME)).json()["username"] == "pete"


async def test_logout_ends_the_session_id(new_client: Callable[[], Api]) -> None:
    api = new_client()
    assert (await api.register("quinn")).status_code == 201
    old = api.http.cookies["session"]
    assert (await api.http.post("/api/v1/auth/logout")).status_code == 204
    replay = new_client()
    replay.http.cookies.set("session", old)
    assert (await replay.http.get(ME)).status_code == 401


async def test_login_hands_out_a_new_csrf_token(new_client: Callable[[], Api]) -> None:
    api = new_client()
    before = await api.csrf()
    response = await api.register("rosa")
    assert response.status_code == 201
    after = response.cookies.get("csrftoken")
    assert after
    assert after != before
    assert (await api.http.post("/api/v1/auth/logout")).status_code == 204  # the new one works


# --- password guessing ------------------------------------------------------------------


class CountingHasher:
    """Counts the passwords the server checks (argon2 verifications)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.checked = 0
        original = argon2.PasswordHasher.verify

        def verify(hasher: argon2.PasswordHasher, stored: str, password: str) -> bool:
            self.checked += 1
            return original(hasher, stored, password)

        monkeypatch.setattr(argon2.PasswordHasher, "verify", verify)


async def _burst(api: Api, username: str, count: int) -> list[int]:
    await api.csrf()
    body = {"username": username, "password": "wrong password!"}
    responses = await asyncio.gather(
        *(api.http.post("/api/v1/auth/login", json=body) for _ in range(count))
    )
    return [response.status_code for response in responses]


async def _burst_checks(
    start_api: StartApi, monkeypatch: pytest.MonkeyPatch, **settings: Any
) -> int:
    """Passwords checked by 40 concurrent wrong logins to one account (5 allowed)."""
    username = f"sam_{uuid.uuid4().hex[:8]}"
    async with start_api(login_max_failures=5, **settings) as api:
        assert (await api.register(username)).status_code == 201
        await api.http.post("/api/v1/auth/logout")
        hasher = CountingHasher(monkeypatch)
        statuses = await _burst(api, username, 40)
    print(f"\n40 concurrent wrong logins: {hasher.checked} passwords checked")
    assert statuses.count(401) == hasher.checked
    assert statuses.count(429) == 40 - hasher.checked
    return hasher.checked


async def test_a_concurrent_burst_checks_at_most_the_allowed_passwords(
    start_api: StartApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert await _burst_checks(start_api, monkeypatch) == 5


async def test_a_concurrent_burst_is_counted_atomically_in_redis(
    start_api: StartApi, monkeypatch: pytest.MonkeyPatch, redis_url: str
) -> None:
    assert await _burst_checks(start_api, monkeypatch, redis_url=redis_url) == 5


async def test_guesses_across_accounts_are_limited_per_address(start_api: StartApi) -> None:
    async with start_api(login_max_failures=100, login_max_failures_per_address=3) as api:
        statuses = [
            (await api.login(f"nobody_{n}", "wrong password!")).status_code for n in range(5)
        ]
    assert statuses == [401, 401, 401, 429, 429]


async def test_each_lockout_lasts_longer(start_api: StartApi) -> None:
    async with start_api(login_max_failures=1, login_failure_window_s=1) as api:
        assert (await api.register("tina")).status_code == 201
        await api.http.post("/api/v1/auth/logout")
        waits = []
        for _ in range(2):
            assert (await api.login("tina", "wrong password!")).status_code == 401
            locked = await api.login("tina", "wrong password!")
            assert locked.status_code == 429
            waits.append(int(locked.headers["retry-after"]))
            await asyncio.sleep(waits[-1] + 0.2)
        assert waits[1] > waits[0]
        assert (await api.login("tina")).status_code == 200


def test_forwarded_headers_are_believed_only_from_configured_proxies() -> None:
    from server.__main__ import uvicorn_options

    assert uvicorn_options(Settings())["proxy_headers"] is False
    trusted = uvicorn_options(Settings.from_env({"TRUSTED_PROXIES": "10.0.0.1, 10.0.0.2"}))
    assert trusted["proxy_headers"] is True
    assert trusted["forwarded_allow_ips"] == ["10.0.0.1", "10.0.0.2"]
    assert uvicorn_options(Settings())["workers"] == 1
    assert uvicorn_options(Settings.from_env({"WORKERS": "4"}))["workers"] == 4


def test_a_rotating_x_forwarded_for_does_not_reset_the_throttle(
    database_url: str, tmp_path: Path
) -> None:
    """Against ``python -m server`` as ``make run`` starts it, from loopback."""
    env = {
        "DATABASE_URL": database_url,
        "PASSWORD_HASH_PROFILE": "CHEAPEST",
        "LOGIN_MAX_FAILURES": "2",
    }
    with serve(tmp_path, env) as live, httpx.Client(base_url=live.url) as http:
        http.get(ME)
        http.headers["x-csrftoken"] = http.cookies["csrftoken"]
        statuses = [
            http.post(
                "/api/v1/auth/login",
                json={"username": "uma", "password": "wrong password!"},
                headers={"x-forwarded-for": f"203.0.113.{n}"},
            ).status_code
            for n in range(4)
        ]
    assert statuses == [401, 401, 429, 429]


# --- deep JSON and NUL bytes ------------------------------------------------------------


@pytest.mark.parametrize("depth", [5_000, 100_000])
async def test_deeply_nested_bodies_are_refused_not_500(alice: Api, depth: int) -> None:
    body = "[" * depth + "]" * depth
    for path in (SESSIONS, "/api/v1/auth/login"):
        response = await alice.http.post(
            path, content=body, headers={"content-type": "application/json"}
        )
        assert response.status_code == 422, (path, response.text)
        assert response.json()["code"] == "validation_failed"


@pytest.mark.parametrize("depth", [20, 5_000])
async def test_deeply_nested_stats_are_refused(alice: Api, depth: int) -> None:
    session = await new_session(alice)
    stats_json = '{"a":' * depth + "1" + "}" * depth
    message = message_body(0)
    raw = httpx.Request("POST", "/", json=message).content.decode()
    body = raw[:-1] + f',"stats":{stats_json}}}'
    for path in (messages_url(session), f"{messages_url(session)}/batch"):
        content = body if path.endswith("messages") else f'{{"messages":[{body}]}}'
        response = await alice.http.post(
            path, content=content, headers={"content-type": "application/json"}
        )
        assert response.status_code in {200, 422}, response.text
        results = response.json().get("results")
        outcome = results[0] if results else response.json()
        assert (outcome.get("status"), outcome.get("code")) in {
            (None, "validation_failed"),
            (422, None),
        }, outcome


async def test_stats_of_a_few_levels_are_kept(alice: Api) -> None:
    session = await new_session(alice)
    stats = {"usage": {"decode": {"tokens": 3, "perSecond": 2.5}}}
    response = await alice.http.post(messages_url(session), json=message_body(0, stats=stats))
    assert response.status_code == 201
    assert response.json()["stats"] == stats


@pytest.mark.parametrize(
    "path",
    [
        "/static/index.html%00.js",
        "/app/browser/main.py%00",
        "/runtime/%00",
        "/static/a%00b/index.html",
    ],
)
async def test_a_nul_byte_in_a_path_is_404(anon: Api, path: str) -> None:
    response = await anon.http.get(path)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


# --- headers on every response ----------------------------------------------------------

SECURITY_HEADERS = (
    "content-security-policy",
    "x-content-type-options",
    "x-frame-options",
    "referrer-policy",
)


async def _every_status(
    api: Api, other: Api, monkeypatch: pytest.MonkeyPatch
) -> dict[int, httpx.Response]:
    """One response of each status the server produces."""
    seen: dict[int, httpx.Response] = {}

    def keep(response: httpx.Response) -> None:
        seen.setdefault(response.status_code, response)

    keep(await api.http.get("/"))
    keep(await api.http.head("/"))
    keep(await api.http.get("/static/style.css", headers={"if-none-match": "*"}))
    keep(await other.http.get(ME))  # 401
    keep(await other.http.post("/api/v1/auth/logout"))  # 403: no CSRF header
    keep(await api.http.get("/no-such-page"))
    keep(await api.http.delete(SESSIONS))  # 405
    keep(await api.register(f"v_{uuid.uuid4().hex[:6]}"))  # 201
    keep(await api.register("vera"))  # 201 or 409
    keep(await api.register("vera"))  # 409
    keep(await api.http.post(SESSIONS, json={"clientSessionId": 1}))  # 422
    keep(await api.http.post(SESSIONS, content=b"x" * (1024 * 1024 + 1)))  # 413
    keep(await api.http.post("/api/v1/auth/logout"))  # 204
    await api.login("vera")
    sid = await new_session(api)
    keep(await api.http.post(SESSIONS, json=session_body(clientSessionId=sid)))  # 200/201
    keep(await api.http.get(SESSIONS))  # 200

    from server.chat import services

    async def broken(*_: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(services, "list_sessions", broken)
    keep(await api.http.get(SESSIONS))  # 500
    return seen


async def test_security_headers_on_every_status_the_server_produces(
    start_api: StartApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with start_api(login_max_failures=1) as api, start_api() as other:
        seen = await _every_status(api, other, monkeypatch)
        seen.setdefault(401, await api.login("nobody", "wrong password!"))
        seen.setdefault(429, await api.login("nobody", "wrong password!"))
    assert {200, 201, 204, 304, 401, 403, 404, 405, 409, 413, 422, 429, 500} <= set(seen)
    for status, response in sorted(seen.items()):
        missing = [name for name in SECURITY_HEADERS if name not in response.headers]
        assert not missing, (status, response.request.method, response.request.url, missing)


async def test_head_of_the_page_is_200_without_a_body(anon: Api) -> None:
    response = await anon.http.head("/")
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize("path", [ME, "/api/v1/auth/status", SESSIONS, "messages"])
async def test_private_responses_are_never_stored_by_a_cache(alice: Api, path: str) -> None:
    if path == "messages":
        path = messages_url(await new_session(alice))
    response = await alice.http.get(path)
    assert response.status_code == 200
    assert "no-store" in response.headers["cache-control"]


# --- usernames --------------------------------------------------------------------------


async def test_usernames_differing_only_in_case_are_one_account(
    new_client: Callable[[], Api],
) -> None:
    first = new_client()
    assert (await first.register("Wendy")).status_code == 201
    second = new_client()
    taken = await second.register("wendy")
    assert taken.status_code == 409
    assert taken.json()["code"] == "username_taken"
    response = await second.login("WENDY", PASSWORD)
    assert response.status_code == 200
    assert response.json()["username"] == "Wendy"


def _run_migrations(url: str, *args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "piccolo.main", "migrations", "forwards", *args],
        cwd=ROOT,
        env={**os.environ, "PICCOLO_CONF": "server.piccolo_conf", "DATABASE_URL": url},
        check=True,
        capture_output=True,
    )


async def _insert_accounts(url: str, rows: list[tuple[str, str, str]]) -> None:
    """Accounts as the schema before case-insensitive names could hold them."""
    hasher = password_hasher("CHEAPEST")
    values = [
        (str(uuid.uuid4()), name, hasher.hash(PASSWORD), created) for name, created, _ in rows
    ]
    sql = "INSERT INTO account (id, username, password_hash, created_at) VALUES "
    if url.startswith("sqlite"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
            db.executemany(sql + "(?, ?, ?, ?)", values)
        return
    connection = await asyncpg.connect(url)
    try:
        await connection.executemany(
            sql + "($1::uuid, $2, $3, $4::timestamptz)",
            [(i, n, h, datetime.datetime.fromisoformat(c)) for i, n, h, c in values],
        )
    finally:
        await connection.close()


@pytest.fixture
def blank_database_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """An empty database of the same engine as ``database_url``, not migrated yet."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'blank.sqlite'}"
    else:
        yield from fresh_postgres()


async def test_the_migration_keeps_accounts_whose_names_differ_only_in_case(
    blank_database_url: str, start_api: StartApi
) -> None:
    url = blank_database_url
    _run_migrations(url, "accounts", "--migration_id=2026-11-26T02:30:48:477764")
    _run_migrations(url, "chat")
    await _insert_accounts(
        url,
        [
            ("Xena", "2026-01-01T00:00:00+00:00", "oldest"),
            ("xena", "2026-02-01T00:00:00+00:00", "newer"),
            ("XENA", "2026-03-01T00:00:00+00:00", "newest"),
        ],
    )
    _run_migrations(url, "all")
    async with start_api(database_url=url) as api:
        for spelling in ("Xena", "xena", "XENA"):  # each keeps logging in, as it was spelled
            response = await api.login(spelling)
            assert response.status_code == 200, response.text
            assert response.json()["username"] == spelling
        other = (await api.login("xEnA")).json()["username"]
        assert other == "Xena"  # any other spelling is the oldest account
        assert (await api.register("xenA")).status_code == 409


async def test_a_concurrent_burst_gets_no_more_than_the_rate_limit(start_api: StartApi) -> None:
    async with start_api(rate_limit_per_minute=10) as api:
        assert (await api.register(f"w_{uuid.uuid4().hex[:8]}")).status_code == 201
        responses = await asyncio.gather(*(api.http.get(SESSIONS) for _ in range(40)))
    statuses = [response.status_code for response in responses]
    assert statuses.count(200) == 10
    assert statuses.count(429) == 30
    assert all(int(r.headers["retry-after"]) >= 1 for r in responses if r.status_code == 429)


async def test_the_rate_limit_holds_for_a_burst_across_workers_sharing_redis(
    start_api: StartApi, redis_url: str, tmp_path: Path
) -> None:
    settings = {"redis_url": redis_url, "secret_key": "shared", "rate_limit_per_minute": 10}
    async with (
        start_api(**settings) as one,
        start_api(**settings, data_dir=tmp_path / "b") as two,
    ):
        assert (await one.register(f"x_{uuid.uuid4().hex[:8]}")).status_code == 201
        two.http.cookies.update(one.http.cookies)
        responses = await asyncio.gather(
            *(client.http.get(SESSIONS) for client in (one, two) for _ in range(20))
        )
    assert [response.status_code for response in responses].count(200) == 10
