"""The wire contract as the page reads and writes it: camelCase, ``None`` defaults left out,
every type and rule checked with the failing field named; the server's structs are what the
generator writes from it."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from app import wire
from app.contract import (
    SHAPES,
    BatchOut,
    BatchResult,
    ContractError,
    ErrorBody,
    FieldError,
    MessageIn,
    MessagePage,
    SessionIn,
    camel,
    from_wire,
    to_wire,
)
from tools import contract_structs

ROOT = Path(__file__).resolve().parents[2]
ID = str(uuid.uuid4())
WHEN = "2026-01-02T03:04:05.678Z"


def message(**changes: Any) -> dict[str, Any]:
    body = {
        "clientMessageId": ID,
        "role": "user",
        "content": "Hello",
        "seq": 1,
        "createdAt": WHEN,
    }
    return body | changes


def test_the_servers_structs_are_generated_from_the_contract() -> None:
    written = (ROOT / "server" / "contract.py").read_text()
    assert written == contract_structs.formatted(contract_structs.render()), (
        "server/contract.py is stale: run python tools/contract_structs.py"
    )
    for shape in SHAPES:
        assert f"class {shape.__name__}(msgspec.Struct" in written


def test_bodies_are_camel_case_and_leave_out_none_defaults() -> None:
    shape = SessionIn(
        client_session_id=ID, character_id="c", character_name="C", model_id="m", created_at=WHEN
    )
    assert to_wire(shape) == {
        "clientSessionId": ID,
        "characterId": "c",
        "characterName": "C",
        "modelId": "m",
        "createdAt": WHEN,
    }
    assert from_wire(SessionIn, to_wire(shape)) == shape
    assert camel("next_after_seq") == "nextAfterSeq"


def test_nested_shapes_round_trip() -> None:
    error = ErrorBody("validation_failed", "no", [FieldError("content", "too long")])
    out = BatchOut([BatchResult(ID, 201, id=ID), BatchResult(None, 422, error=error)])
    data = to_wire(out)
    assert data["results"][1] == {
        "clientMessageId": None,
        "status": 422,
        "error": {
            "code": "validation_failed",
            "message": "no",
            "details": [{"field": "content", "message": "too long"}],
        },
    }
    assert "error" not in data["results"][0]
    assert from_wire(BatchOut, data) == out


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"clientMessageId": "not-a-uuid"}, "clientMessageId"),
        ({"role": "system"}, "role"),
        ({"content": 5}, "content"),
        ({"content": "x" * (wire.MAX_CONTENT + 1)}, "content"),
        ({"content": "nul \x00 inside"}, "content"),
        ({"seq": -1}, "seq"),
        ({"seq": True}, "seq"),
        ({"seq": 2**31}, "seq"),
        ({"createdAt": "2026-01-02T03:04:05"}, "createdAt"),
        ({"createdAt": "yesterday"}, "createdAt"),
        ({"modelId": "m" * (wire.MAX_NAME + 1)}, "modelId"),
        ({"stats": [1]}, "stats"),
        ({"stats": {str(n): n for n in range(wire.MAX_STATS_KEYS + 1)}}, "stats"),
    ],
)
def test_each_rule_is_enforced_and_names_its_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(ContractError) as caught:
        from_wire(MessageIn, message(**changes))
    assert caught.value.field == field


def test_a_missing_field_and_a_nested_one_are_named() -> None:
    body = message()
    del body["content"]
    with pytest.raises(ContractError, match="content"):
        from_wire(MessageIn, body)
    page = {"items": [{"id": ID}], "nextAfterSeq": None}
    with pytest.raises(ContractError) as caught:
        from_wire(MessagePage, page)
    assert caught.value.field.startswith("items[0].")
    with pytest.raises(ContractError):
        from_wire(MessagePage, "not an object")


def test_optional_fields_may_be_absent_or_null() -> None:
    absent = from_wire(MessageIn, message())
    assert from_wire(MessageIn, message(modelId=None, stats=None)) == absent
    assert (absent.model_id, absent.stats) == (None, None)


AGREEMENT_CASES = [
    {},
    {"modelId": "Qwen3-0.6B-q4f32_1-MLC", "stats": {"tokensPerSecond": 20.5}},
    {"content": ""},
    {"content": "x" * wire.MAX_CONTENT},
    {"seq": 2**31 - 1},
    {"createdAt": "2026-01-02T03:04:05+09:00"},
    {"clientMessageId": "not-a-uuid"},
    {"role": "system"},
    {"role": None},
    {"content": None},
    {"content": "x" * (wire.MAX_CONTENT + 1)},
    {"content": "nul \x00"},
    {"seq": -1},
    {"seq": 1.5},
    {"seq": 2**31},
    {"createdAt": "2026-01-02T03:04:05"},
    {"createdAt": 5},
    {"modelId": "m" * (wire.MAX_NAME + 1)},
    {"modelId": 5},
    {"stats": "fast"},
    {"stats": {str(n): n for n in range(wire.MAX_STATS_KEYS + 1)}},
]


@pytest.mark.parametrize("changes", AGREEMENT_CASES)
def test_the_page_and_the_server_accept_the_same_messages(changes: dict[str, Any]) -> None:
    import msgspec

    from server import contract as server_contract

    body = message(**changes)
    try:
        from_wire(MessageIn, body)
        page_accepts = True
    except ContractError:
        page_accepts = False
    try:
        msgspec.json.decode(msgspec.json.encode(body), type=server_contract.MessageIn)
        server_accepts = True
    except msgspec.ValidationError:
        server_accepts = False
    assert page_accepts == server_accepts
