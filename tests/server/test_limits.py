"""Body size, per-user rate limit, and the one error shape for everything that goes wrong."""

from __future__ import annotations

import pytest

from server.chat import services
from tests.server.conftest import (
    PASSWORD,
    SESSIONS,
    Api,
    StartApi,
    message_body,
    messages_url,
    new_session,
    session_body,
)


async def test_bodies_over_1_mib_are_413(alice: Api) -> None:
    session = await new_session(alice)
    big = message_body(content="x" * 100_000)
    batch = {"messages": [big] * 11}  # valid items, ~1.1 MB in all
    response = await alice.http.post(f"{messages_url(session)}/batch", json=batch)
    assert response.status_code == 413
    assert response.json() == {
        "code": "payload_too_large",
        "message": "The request body is too large.",
    }


async def test_bodies_under_1_mib_pass(alice: Api) -> None:
    session = await new_session(alice)
    batch = {"messages": [message_body(i, content="x" * 100_000) for i in range(10)]}
    response = await alice.http.post(f"{messages_url(session)}/batch", json=batch)
    assert response.status_code == 200
    assert {result["status"] for result in response.json()["results"]} == {201}


async def test_the_log_api_is_rate_limited_per_user(start_api: StartApi) -> None:
    async with start_api(rate_limit_per_minute=3) as api:
        assert (await api.register("kim")).status_code == 201
        for _ in range(3):
            assert (await api.http.get(SESSIONS)).status_code == 200
        limited = await api.http.post(SESSIONS, json=session_body())
        assert limited.status_code == 429
        assert limited.json()["code"] == "rate_limited"
        assert 1 <= int(limited.headers["retry-after"]) <= 60
        # Another user at the same address has a budget of their own.
        await api.http.post("/api/v1/auth/logout")
        assert (await api.register("lee")).status_code == 201
        assert (await api.http.get(SESSIONS)).status_code == 200


async def test_unknown_routes_answer_in_the_error_shape(anon: Api) -> None:
    response = await anon.http.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "Not found."}


async def test_wrong_method_is_405_with_allow(alice: Api) -> None:
    response = await alice.http.delete(SESSIONS)
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
    assert set(response.headers["allow"].replace(" ", "").split(",")) >= {"GET", "POST"}


@pytest.mark.parametrize(
    "content",
    [pytest.param(b"{", id="truncated"), pytest.param(b"\xff\xfe", id="not-utf8")],
)
async def test_unreadable_json_is_422(alice: Api, content: bytes) -> None:
    response = await alice.http.post(
        SESSIONS, content=content, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "validation_failed"


async def test_unexpected_errors_are_500_without_internals(
    alice: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(services, "list_sessions", broken)
    response = await alice.http.get(SESSIONS)
    assert response.status_code == 500
    assert response.json() == {
        "code": "internal_error",
        "message": "Something went wrong on our side.",
    }


async def test_login_errors_do_not_say_which_part_was_wrong(alice: Api, anon: Api) -> None:
    wrong_password = (await anon.login("alice", "not " + PASSWORD)).json()
    no_such_user = (await anon.login("nobody", PASSWORD)).json()
    assert wrong_password == no_such_user
