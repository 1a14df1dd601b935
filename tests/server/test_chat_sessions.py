"""Chat sessions: idempotent create (also under concurrency), listing, isolation, auth."""

from __future__ import annotations

import asyncio
import datetime
import uuid
from typing import Any

import pytest

from server.chat.tables import ChatSession
from tests.server.conftest import SESSIONS, Api, session_body


async def test_create_then_replay(alice: Api) -> None:
    body = session_body()
    created = await alice.http.post(SESSIONS, json=body)
    assert created.status_code == 201
    session = created.json()
    assert session["clientSessionId"] == body["clientSessionId"]
    assert session["characterName"] == "Aria"
    assert session["title"] == "First chat"
    assert session["createdAt"] == "2025-03-01T03:00:00Z"  # the same instant, in UTC
    assert uuid.UUID(session["id"]) != uuid.UUID(body["clientSessionId"])

    replay = await alice.http.post(SESSIONS, json={**body, "characterName": "Other"})
    assert replay.status_code == 200
    assert replay.json() == session  # the stored row, whatever the replay says
    assert await ChatSession.count() == 1


async def test_title_is_optional(alice: Api) -> None:
    body = session_body()
    del body["title"]
    response = await alice.http.post(SESSIONS, json=body)
    assert response.status_code == 201
    assert response.json()["title"] is None


async def test_twenty_concurrent_identical_creates_store_one_row(alice: Api) -> None:
    body = session_body()
    responses = await asyncio.gather(*(alice.http.post(SESSIONS, json=body) for _ in range(20)))
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] * 19 + [201]
    assert len({response.json()["id"] for response in responses}) == 1
    assert await ChatSession.count() == 1


async def test_the_same_client_id_is_separate_per_user(alice: Api, bob: Api) -> None:
    body = session_body()
    mine = await alice.http.post(SESSIONS, json=body)
    theirs = await bob.http.post(SESSIONS, json=body)
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.json()["id"] != theirs.json()["id"]


async def test_list_is_newest_first_and_paged(alice: Api) -> None:
    start = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)
    ids = []
    for day in range(5):
        created_at = (start + datetime.timedelta(days=day)).isoformat()
        response = await alice.http.post(SESSIONS, json=session_body(createdAt=created_at))
        ids.append(response.json()["id"])
    same_instant = [
        (
            await alice.http.post(SESSIONS, json=session_body(createdAt="2024-06-01T00:00:00Z"))
        ).json()["id"]
        for _ in range(3)
    ]

    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await alice.http.get(SESSIONS, params=params)).json()
        seen += [item["id"] for item in page["items"]]
        pages += 1
        cursor = page["nextCursor"]
        if cursor is None:
            break
    assert pages == 4
    assert seen[:5] == ids[::-1]
    assert sorted(seen[5:]) == sorted(same_instant)  # ties on createdAt: none lost, none twice


async def test_list_shows_only_my_sessions(alice: Api, bob: Api) -> None:
    await alice.http.post(SESSIONS, json=session_body(title="alice's"))
    await bob.http.post(SESSIONS, json=session_body(title="bob's"))
    page = (await bob.http.get(SESSIONS)).json()
    assert [item["title"] for item in page["items"]] == ["bob's"]
    assert page["nextCursor"] is None


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"cursor": "not-a-cursor"}, id="garbage-cursor"),
        pytest.param({"cursor": "W10"}, id="wrong-shape-cursor"),
        pytest.param({"limit": 0}, id="limit-zero"),
        pytest.param({"limit": 101}, id="limit-too-big"),
        pytest.param({"limit": "ten"}, id="limit-not-int"),
    ],
)
async def test_bad_list_parameters_are_422(alice: Api, params: dict[str, Any]) -> None:
    response = await alice.http.get(SESSIONS, params=params)
    assert response.status_code == 422
    assert response.json()["code"] == "validation_failed"
    assert response.json()["details"][0]["field"] in {"cursor", "limit"}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        pytest.param({"clientSessionId": "not-a-uuid"}, "clientSessionId", id="uuid"),
        pytest.param({"characterId": ""}, "characterId", id="empty-character"),
        pytest.param({"characterId": "x" * 129}, "characterId", id="long-character"),
        pytest.param({"characterName": "x" * 201}, "characterName", id="long-name"),
        pytest.param({"modelId": None}, "modelId", id="null-model"),
        pytest.param({"title": "x" * 201}, "title", id="long-title"),
        pytest.param({"title": "a\u0000b"}, "title", id="nul-in-title"),
        pytest.param({"createdAt": "2025-03-01T12:00:00"}, "createdAt", id="naive-time"),
        pytest.param({"createdAt": "yesterday"}, "createdAt", id="garbage-time"),
        pytest.param({"createdAt": "0001-01-01T00:00:00+05:00"}, "createdAt", id="edge-day"),
    ],
)
async def test_invalid_session_fields_are_422(
    alice: Api, overrides: dict[str, Any], field: str
) -> None:
    response = await alice.http.post(SESSIONS, json=session_body(**overrides))
    assert response.status_code == 422
    error = response.json()
    assert error["code"] == "validation_failed"
    assert error["details"][0]["field"] == field
    assert error["details"][0]["message"]
    assert await ChatSession.count() == 0


async def test_missing_field_names_the_field(alice: Api) -> None:
    body = session_body()
    del body["characterName"]
    response = await alice.http.post(SESSIONS, json=body)
    assert response.status_code == 422
    assert response.json()["details"][0]["field"] == "characterName"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        pytest.param("POST", SESSIONS, id="create"),
        pytest.param("GET", SESSIONS, id="list"),
        pytest.param("POST", f"{SESSIONS}/{uuid.uuid4()}/messages", id="append"),
        pytest.param("POST", f"{SESSIONS}/{uuid.uuid4()}/messages/batch", id="batch"),
        pytest.param("GET", f"{SESSIONS}/{uuid.uuid4()}/messages", id="read"),
    ],
)
async def test_log_api_needs_login(anon: Api, method: str, path: str) -> None:
    await anon.csrf()
    response = await anon.http.request(method, path, json={"not": "even valid"})
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


async def test_a_session_of_a_deleted_account_is_refused(alice: Api) -> None:
    from server.accounts.tables import Account

    await Account.delete(force=True)
    response = await alice.http.post(SESSIONS, json=session_body())
    assert response.status_code == 401
    assert (await alice.http.get("/api/v1/auth/me")).status_code == 401
