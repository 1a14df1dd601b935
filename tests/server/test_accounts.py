"""Register, login, logout, me; cookies, CSRF, throttling and where sessions live."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from server.accounts.tables import Account
from tests.server.conftest import PASSWORD, SESSIONS, Api, StartApi


def _cookie(response, name: str) -> str:  # type: ignore[no-untyped-def]
    headers = [h for h in response.headers.get_list("set-cookie") if h.startswith(f"{name}=")]
    assert len(headers) == 1, response.headers.get_list("set-cookie")
    return headers[0]


async def test_register_logs_in(anon: Api) -> None:
    response = await anon.register("alice_1")
    assert response.status_code == 201
    user = response.json()
    assert set(user) == {"id", "username"}
    assert user["username"] == "alice_1"
    me = await anon.http.get("/api/v1/auth/me")
    assert me.status_code == 200
    assert me.json() == user


async def test_logout_then_me_is_unauthenticated(alice: Api) -> None:
    response = await alice.http.post("/api/v1/auth/logout")
    assert response.status_code == 204
    me = await alice.http.get("/api/v1/auth/me")
    assert me.status_code == 401
    assert me.json()["code"] == "unauthenticated"


async def test_login_with_the_right_password(alice: Api, new_client: Callable[[], Api]) -> None:
    other_device = new_client()
    response = await other_device.login("alice")
    assert response.status_code == 200
    assert response.json()["username"] == "alice"
    assert (await other_device.http.get("/api/v1/auth/me")).json()["username"] == "alice"


@pytest.mark.parametrize(
    ("username", "password"),
    [
        pytest.param("alice", "wrong password", id="wrong-password"),
        pytest.param("nobody", PASSWORD, id="unknown-user"),
    ],
)
async def test_bad_credentials_are_401(alice: Api, anon: Api, username: str, password: str) -> None:
    response = await anon.login(username, password)
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"
    assert (await anon.http.get("/api/v1/auth/me")).status_code == 401


async def test_taken_username_is_409(alice: Api, anon: Api) -> None:
    response = await anon.register("alice", "another password")
    assert response.status_code == 409
    assert response.json()["code"] == "username_taken"


async def test_passwords_are_stored_as_argon2_hashes(alice: Api) -> None:
    stored = await Account.select(Account.password_hash).where(Account.username == "alice").first()
    assert stored is not None
    assert stored["password_hash"].startswith("$argon2id$")
    assert PASSWORD not in stored["password_hash"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"username": "ab", "password": PASSWORD}, "username", id="short-name"),
        pytest.param({"username": "a" * 33, "password": PASSWORD}, "username", id="long-name"),
        pytest.param({"username": "al ice", "password": PASSWORD}, "username", id="space"),
        pytest.param({"username": "élise", "password": PASSWORD}, "username", id="non-ascii"),
        pytest.param({"username": "alice", "password": "short"}, "password", id="short-pw"),
        pytest.param({"username": "alice", "password": "x" * 257}, "password", id="long-pw"),
        pytest.param({"username": "alice"}, "password", id="missing-pw"),
    ],
)
async def test_invalid_credentials_shape_is_422(
    anon: Api, body: dict[str, str], field: str
) -> None:
    await anon.csrf()
    response = await anon.http.post("/api/v1/auth/register", json=body)
    assert response.status_code == 422
    error = response.json()
    assert error["code"] == "validation_failed"
    assert [detail["field"] for detail in error["details"]] == [field]


async def test_me_without_login_is_401_and_sets_the_csrf_cookie(anon: Api) -> None:
    response = await anon.http.get("/api/v1/auth/me")
    assert response.status_code == 401
    assert response.json() == {"code": "unauthenticated", "message": "Log in to use this endpoint."}
    assert "csrftoken" in response.cookies


async def test_the_page_sets_the_csrf_cookie(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    cookie = _cookie(response, "csrftoken")
    assert "samesite=lax" in cookie.lower()


@pytest.mark.parametrize(
    "header",
    [
        pytest.param(None, id="missing"),
        pytest.param("forged", id="forged"),
        pytest.param("a" * 128, id="unsigned"),
    ],
)
async def test_unsafe_requests_need_the_csrf_header(anon: Api, header: str | None) -> None:
    await anon.http.get("/api/v1/auth/me")  # has the cookie, but does not echo it
    headers = {"x-csrftoken": header} if header else {}
    response = await anon.http.post(
        "/api/v1/auth/register", json={"username": "mallory", "password": PASSWORD}, headers=headers
    )
    assert response.status_code == 403
    assert response.json()["code"] == "csrf_failed"
    assert (await anon.login("mallory")).status_code == 401  # nothing was created


async def test_csrf_is_checked_on_the_log_api_too(alice: Api) -> None:
    del alice.http.headers["x-csrftoken"]
    response = await alice.http.post("/api/v1/character-chat/sessions", json={})
    assert response.status_code == 403
    assert response.json()["code"] == "csrf_failed"


async def test_session_cookie_is_httponly_and_lax_not_secure_over_http(anon: Api) -> None:
    cookie = _cookie(await anon.register("carol"), "session").lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "secure" not in cookie


async def test_cookies_are_secure_over_https(start_api: StartApi) -> None:
    async with start_api(base_url="https://testserver") as api:
        first = await api.http.get("/api/v1/auth/me")
        assert "secure" in _cookie(first, "csrftoken").lower().split("; ")
        response = await api.register("dave")
        assert response.status_code == 201
        assert "secure" in _cookie(response, "session").lower().split("; ")
        assert (await api.http.get("/api/v1/auth/me")).status_code == 200


async def test_anonymous_requests_store_no_session(anon: Api, api_app: Litestar) -> None:
    response = await anon.http.get("/api/v1/auth/me")
    assert "session" not in response.cookies


async def test_login_is_throttled_per_username_and_address(start_api: StartApi) -> None:
    async with start_api(login_max_failures=2, login_failure_window_s=60) as api:
        assert (await api.register("erin")).status_code == 201
        await api.http.post("/api/v1/auth/logout")
        for _ in range(2):
            assert (await api.login("erin", "wrong password")).status_code == 401
        throttled = await api.login("erin")  # even the right password, for now
        assert throttled.status_code == 429
        assert throttled.json()["code"] == "rate_limited"
        assert 1 <= int(throttled.headers["retry-after"]) <= 60
        assert (await api.http.get("/api/v1/auth/me")).status_code == 401
        # Other usernames from the same address are not affected.
        assert (await api.register("frank")).status_code == 201
        await api.http.post("/api/v1/auth/logout")
        assert (await api.login("frank")).status_code == 200


async def test_a_successful_login_forgets_earlier_failures(start_api: StartApi) -> None:
    async with start_api(login_max_failures=2) as api:
        assert (await api.register("gina")).status_code == 201
        assert (await api.login("gina", "wrong password")).status_code == 401
        assert (await api.login("gina")).status_code == 200
        assert (await api.login("gina", "wrong password")).status_code == 401
        assert (await api.login("gina")).status_code == 200


async def test_register_and_login_are_rate_limited_per_address(start_api: StartApi) -> None:
    async with start_api(auth_rate_limit_per_minute=2) as api:
        assert (await api.register("hank")).status_code == 201
        assert (await api.login("hank")).status_code == 200
        limited = await api.login("hank")
        assert limited.status_code == 429
        assert limited.json()["code"] == "rate_limited"
        assert int(limited.headers["retry-after"]) >= 1
        assert (await api.http.get("/api/v1/auth/me")).status_code == 200  # not limited


async def test_sessions_survive_a_restart(start_api: StartApi) -> None:
    """File-backed sessions and the persisted secret: same data_dir, new process, still in."""
    async with start_api() as first:
        assert (await first.register("ivan")).status_code == 201
        cookies = dict(first.http.cookies)
    async with start_api() as second:
        second.http.cookies.update(cookies)
        second.http.headers["x-csrftoken"] = cookies["csrftoken"]
        assert (await second.http.get("/api/v1/auth/me")).json()["username"] == "ivan"
        response = await second.http.post("/api/v1/auth/logout")
        assert response.status_code == 204  # the CSRF token signed before the restart holds


async def test_workers_share_sessions_through_redis(
    start_api: StartApi, redis_url: str, tmp_path: Path
) -> None:
    """Two app instances (workers) with REDIS_URL and their own data_dir see one session."""
    async with start_api(redis_url=redis_url, secret_key="shared") as one:
        assert (await one.register("judy")).status_code == 201
        cookies = dict(one.http.cookies)
    async with start_api(redis_url=redis_url, secret_key="shared", data_dir=tmp_path / "b") as two:
        two.http.cookies.update(cookies)
        two.http.headers["x-csrftoken"] = cookies["csrftoken"]
        assert (await two.http.get("/api/v1/auth/me")).json()["username"] == "judy"
        assert (await two.http.post("/api/v1/auth/logout")).status_code == 204
    async with start_api(redis_url=redis_url, secret_key="shared") as one_again:
        one_again.http.cookies.update(cookies)
        assert (await one_again.http.get("/api/v1/auth/me")).status_code == 401


async def test_workers_share_rate_limits_through_redis(
    start_api: StartApi, redis_url: str, tmp_path: Path
) -> None:
    settings = {"redis_url": redis_url, "secret_key": "shared", "rate_limit_per_minute": 2}
    async with (
        start_api(**settings) as one,
        start_api(**settings, data_dir=tmp_path / "b") as two,
    ):
        assert (await one.register("kate")).status_code == 201
        two.http.cookies.update(one.http.cookies)
        assert (await one.http.get(SESSIONS)).status_code == 200
        assert (await two.http.get(SESSIONS)).status_code == 200
        limited = await one.http.get(SESSIONS)
        assert limited.status_code == 429
        assert int(limited.headers["retry-after"]) >= 1


async def test_status_says_who_is_logged_in_without_an_error(anon: Api) -> None:
    """The page asks on every load: 200 either way, so no console error for visitors."""
    first = await anon.http.get("/api/v1/auth/status")
    assert first.status_code == 200
    assert first.json() == {"user": None}
    assert "csrftoken" in first.cookies
    user = (await anon.register("lena")).json()
    assert (await anon.http.get("/api/v1/auth/status")).json() == {"user": user}
    await anon.http.post("/api/v1/auth/logout")
    assert (await anon.http.get("/api/v1/auth/status")).json() == {"user": None}


def test_the_secret_key_is_the_configured_one_or_kept_in_the_data_dir(tmp_path: Path) -> None:
    from server.accounts.sessions import secret_key
    from server.settings import Settings

    assert secret_key(Settings(data_dir=tmp_path, secret_key="from-env")) == "from-env"
    generated = secret_key(Settings(data_dir=tmp_path))
    assert len(generated) == 64
    assert secret_key(Settings(data_dir=tmp_path)) == generated  # the next start reads it back
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    assert [path.name for path in tmp_path.iterdir()] == ["secret_key"]
