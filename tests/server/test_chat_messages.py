"""Messages: idempotent append (also under concurrency), conflicts, batches, paging, isolation."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from server.chat.tables import ChatMessage
from tests.server.conftest import Api, message_body, messages_url, new_session


@pytest.fixture
async def session(alice: Api) -> str:
    """One of alice's sessions."""
    return await new_session(alice)


async def test_append_then_replay(alice: Api, session: str) -> None:
    body = message_body(
        role="assistant", modelId="Qwen3-4B", stats={"decodeTokensPerS": 31.5, "tokens": [1, 2]}
    )
    created = await alice.http.post(messages_url(session), json=body)
    assert created.status_code == 201
    message = created.json()
    assert message["clientMessageId"] == body["clientMessageId"]
    assert message["sessionId"] == session
    assert (message["role"], message["content"], message["seq"]) == ("assistant", "message 0", 0)
    assert message["stats"] == body["stats"]
    assert message["modelId"] == "Qwen3-4B"

    replay = await alice.http.post(messages_url(session), json=body)
    assert replay.status_code == 200
    assert replay.json() == message
    assert await ChatMessage.count() == 1


async def test_replay_with_other_content_is_409(alice: Api, session: str) -> None:
    body = message_body()
    assert (await alice.http.post(messages_url(session), json=body)).status_code == 201
    response = await alice.http.post(messages_url(session), json={**body, "content": "edited"})
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    stored = await ChatMessage.select(ChatMessage.content).first()
    assert stored == {"content": "message 0"}


async def test_twenty_concurrent_identical_appends_store_one_row(alice: Api, session: str) -> None:
    body = message_body()
    responses = await asyncio.gather(
        *(alice.http.post(messages_url(session), json=body) for _ in range(20))
    )
    assert sorted(response.status_code for response in responses) == [200] * 19 + [201]
    assert len({response.json()["id"] for response in responses}) == 1
    assert await ChatMessage.count() == 1


async def test_the_same_client_id_is_separate_per_session(alice: Api, session: str) -> None:
    other = await new_session(alice)
    body = message_body()
    assert (await alice.http.post(messages_url(session), json=body)).status_code == 201
    assert (await alice.http.post(messages_url(other), json=body)).status_code == 201


async def test_content_round_trips_exactly(alice: Api, session: str) -> None:
    content = "Line 1\n\t<b>not html</b> 🎉 \u200b é" + "x" * 99_000
    body = message_body(content=content, role="assistant")
    assert (await alice.http.post(messages_url(session), json=body)).status_code == 201
    page = (await alice.http.get(messages_url(session))).json()
    assert page["items"][0]["content"] == content


async def test_batch_reports_each_item(alice: Api, session: str) -> None:
    stored = message_body(0)
    conflicting = message_body(1)
    assert (await alice.http.post(messages_url(session), json=stored)).status_code == 201
    assert (await alice.http.post(messages_url(session), json=conflicting)).status_code == 201
    new_one = message_body(2)
    items: list[Any] = [
        new_one,
        stored,  # already stored, same content
        {**conflicting, "content": "changed"},  # already stored, other content
        {**message_body(3), "role": "system"},  # invalid role
        {"clientMessageId": "nope", "role": "user"},  # invalid id, fields missing
        new_one,  # repeated within the batch
        {**new_one, "content": "changed"},  # repeated within the batch, other content
        message_body(4, content="a\u0000b"),  # NUL cannot be stored
        {**message_body(5), "createdAt": "2025-03-01 noon"},
    ]
    response = await alice.http.post(f"{messages_url(session)}/batch", json={"messages": items})
    assert response.status_code == 200
    results = response.json()["results"]
    assert [result["status"] for result in results] == [201, 200, 409, 422, 422, 200, 409, 422, 422]
    assert [result["clientMessageId"] for result in results] == [
        new_one["clientMessageId"],
        stored["clientMessageId"],
        conflicting["clientMessageId"],
        items[3]["clientMessageId"],
        "nope",
        new_one["clientMessageId"],
        new_one["clientMessageId"],
        items[7]["clientMessageId"],
        items[8]["clientMessageId"],
    ]
    assert results[0]["id"] == results[5]["id"]
    assert results[2]["error"]["code"] == "conflict"
    assert "id" not in results[2]
    assert [results[i]["error"]["details"][0]["field"] for i in (3, 4, 7, 8)] == [
        "role",
        "clientMessageId",
        "content",
        "createdAt",
    ]
    assert all(results[i]["error"]["code"] == "validation_failed" for i in (3, 4, 7, 8))
    assert await ChatMessage.count() == 3


async def test_batch_of_nothing_but_invalid_items(alice: Api, session: str) -> None:
    response = await alice.http.post(f"{messages_url(session)}/batch", json={"messages": [{}]})
    assert response.status_code == 200
    [result] = response.json()["results"]
    assert (result["status"], result["clientMessageId"]) == (422, None)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"messages": []}, id="empty"),
        pytest.param({"messages": [message_body(i) for i in range(201)]}, id="too-many"),
        pytest.param({"messages": "all of them"}, id="not-a-list"),
        pytest.param({"messages": [1, 2]}, id="not-objects"),
        pytest.param({}, id="missing"),
    ],
)
async def test_malformed_batches_are_422(alice: Api, session: str, body: dict[str, Any]) -> None:
    response = await alice.http.post(f"{messages_url(session)}/batch", json=body)
    assert response.status_code == 422
    assert response.json()["code"] == "validation_failed"


async def test_messages_are_read_in_seq_order_page_by_page(alice: Api, session: str) -> None:
    seqs = [5, 0, 3, 1, 2, 4, 2, 2, 6]  # out of order, with a run of equal seq
    batch = [message_body(seq) for seq in seqs]
    await alice.http.post(f"{messages_url(session)}/batch", json={"messages": batch})

    seen: list[int] = []
    after = -1
    while after is not None:
        page = (
            await alice.http.get(messages_url(session), params={"afterSeq": after, "limit": 3})
        ).json()
        seen += [item["seq"] for item in page["items"]]
        after = page["nextAfterSeq"]
    assert seen == sorted(seqs)  # none lost, none twice, even across the run of 2s


async def test_read_after_the_end_is_empty(alice: Api, session: str) -> None:
    await alice.http.post(messages_url(session), json=message_body(0))
    page = (await alice.http.get(messages_url(session), params={"afterSeq": 0})).json()
    assert page == {"items": [], "nextAfterSeq": None}


async def test_other_users_sessions_are_404(alice: Api, bob: Api, session: str) -> None:
    await alice.http.post(messages_url(session), json=message_body(0))
    attempts = [
        bob.http.post(messages_url(session), json=message_body(1)),
        bob.http.post(f"{messages_url(session)}/batch", json={"messages": [message_body(2)]}),
        bob.http.get(messages_url(session)),
    ]
    for response in await asyncio.gather(*attempts):
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
    assert await ChatMessage.count() == 1


@pytest.mark.parametrize(
    "session_id",
    [pytest.param(str(uuid.uuid4()), id="unknown"), pytest.param("not-a-uuid", id="not-a-uuid")],
)
async def test_unknown_sessions_are_404(alice: Api, session_id: str) -> None:
    response = await alice.http.post(messages_url(session_id), json=message_body())
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        pytest.param({"role": "system"}, "role", id="role"),
        pytest.param({"role": None}, "role", id="null-role"),
        pytest.param({"clientMessageId": "123"}, "clientMessageId", id="uuid"),
        pytest.param({"content": None}, "content", id="null-content"),
        pytest.param({"content": "x" * 100_001}, "content", id="long-content"),
        pytest.param({"content": "\u0000"}, "content", id="nul-content"),
        pytest.param({"seq": -1}, "seq", id="negative-seq"),
        pytest.param({"seq": 2**31}, "seq", id="huge-seq"),
        pytest.param({"seq": 1.5}, "seq", id="fractional-seq"),
        pytest.param({"createdAt": "2025-03-01T12:00:00"}, "createdAt", id="naive-time"),
        pytest.param({"createdAt": "2025-13-01T12:00:00Z"}, "createdAt", id="bad-month"),
        pytest.param({"createdAt": "9999-12-31T23:00:00-05:00"}, "createdAt", id="edge-day"),
        pytest.param({"modelId": "m" * 201}, "modelId", id="long-model"),
        pytest.param({"stats": [1, 2]}, "stats", id="stats-not-object"),
        pytest.param({"stats": {"blob": "x" * 20_000}}, "stats", id="stats-too-big"),
    ],
)
async def test_invalid_message_fields_are_422(
    alice: Api, session: str, overrides: dict[str, Any], field: str
) -> None:
    response = await alice.http.post(messages_url(session), json=message_body(**overrides))
    assert response.status_code == 422
    error = response.json()
    assert error["code"] == "validation_failed"
    assert [detail["field"] for detail in error["details"]] == [field]
    assert await ChatMessage.count() == 0


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"afterSeq": -2}, id="after-too-small"),
        pytest.param({"limit": 501}, id="limit-too-big"),
        pytest.param({"afterSeq": "x"}, id="after-not-int"),
    ],
)
async def test_bad_read_parameters_are_422(
    alice: Api, session: str, params: dict[str, Any]
) -> None:
    response = await alice.http.get(messages_url(session), params=params)
    assert response.status_code == 422
    assert response.json()["details"][0]["field"] in {"afterSeq", "limit"}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        pytest.param({"createdAt": 0}, "createdAt", id="number-as-time"),
        pytest.param({"seq": "5"}, "seq", id="string-as-int"),
        pytest.param({"seq": 5.5}, "seq", id="fraction-as-int"),
        pytest.param({"seq": True}, "seq", id="bool-as-int"),
    ],
)
async def test_types_are_strict(
    alice: Api, session: str, overrides: dict[str, Any], field: str
) -> None:
    """JSON types as documented: no lax coercion of numbers to times or strings to numbers."""
    single = await alice.http.post(messages_url(session), json=message_body(**overrides))
    assert single.status_code == 422
    assert single.json()["details"][0]["field"] == field
    batch = await alice.http.post(
        f"{messages_url(session)}/batch", json={"messages": [message_body(**overrides)]}
    )
    assert batch.json()["results"][0]["status"] == 422


async def test_integral_numbers_are_integers(alice: Api, session: str) -> None:
    """JSON Schema's rule: ``3.0`` is an integer; free-form stats are stored as sent."""
    body = message_body(seq=3, stats={"ratio": 1.0})
    body["seq"] = 3.0
    response = await alice.http.post(messages_url(session), json=body)
    assert response.status_code == 201
    assert response.json()["seq"] == 3
    assert response.json()["stats"] == {"ratio": 1.0}
    batch = await alice.http.post(
        f"{messages_url(session)}/batch", json={"messages": [{**message_body(), "seq": 4.0}]}
    )
    assert batch.json()["results"][0]["status"] == 201


async def test_a_deleted_account_is_401_not_404(alice: Api, session: str) -> None:
    from server.accounts.tables import Account

    await Account.delete(force=True)  # its sessions go with it
    response = await alice.http.post(messages_url(session), json=message_body())
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"
