"""Reading the status answer: only a well-formed 200 says who is (or is not) logged in."""

from __future__ import annotations

import json
from typing import Any

import pytest

from app.account import UNKNOWN, AccountUser, read_status, status_retry_delay

USER = {"id": "5f1c0d6e-0000-4000-8000-000000000001", "username": "ana"}


def test_a_200_with_a_user_is_that_user() -> None:
    assert read_status(200, {"user": USER}) == AccountUser(USER["id"], "ana")


def test_a_200_with_null_is_nobody() -> None:
    assert read_status(200, {"user": None}) is None


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (None, None),  # no answer at all
        (500, {"code": "internal_error"}),
        (503, "Service Unavailable"),
        (429, {"code": "rate_limited"}),
        (200, "<html>captive portal</html>"),
        (200, {}),
        (200, {"user": {"id": 5}}),
    ],
)
def test_anything_else_is_unknown_never_logged_out(status: int | None, body: Any) -> None:
    assert read_status(status, body) is UNKNOWN


def test_the_retry_delay_doubles_and_is_capped() -> None:
    delays = [status_retry_delay(n) for n in range(10)]
    assert delays[:4] == [1.0, 2.0, 4.0, 8.0]
    assert max(delays) == 60.0
    assert delays == sorted(delays)


def test_users_round_trip_and_bad_ones_are_none() -> None:
    user = AccountUser("id-1", "ana")
    assert AccountUser.from_dict(user.to_dict()) == user
    assert AccountUser.from_dict({"id": "", "username": "x"}) is None
    assert AccountUser.from_dict("ana") is None


@pytest.mark.parametrize("raw", [None, "", "alice", "{", "[]", '{"username": "alice"}'])
def test_a_remembered_user_that_is_not_one_is_nobody(raw: str | None) -> None:
    assert AccountUser.remembered(raw) is None


def test_a_remembered_user_reads_back() -> None:
    user = AccountUser("u-1", "alice")
    assert AccountUser.remembered(json.dumps(user.to_dict())) == user
