"""Schema-based fuzzing: schemathesis drives the live server from its own OpenAPI document.

Every operation gets schemathesis' examples, coverage (boundary values, missing fields, wrong
types, undeclared methods) and fuzzing phases, positive and negative; every response must be
non-5xx and match the documented status codes, headers and bodies. The fuzz user's session
cookie and CSRF header are given to schemathesis as the credentials of the schema's security
schemes, so it reaches the log API (and checks that requests without them are refused); path
ids point at a real session of that user.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from schemathesis.core.parameters import ParameterLocation
from schemathesis.core.transport import Response
from schemathesis.generation.hypothesis.builder import (
    HypothesisTestConfig,
    HypothesisTestMode,
    create_test,
)

from tests.support.live_server import LiveServer, serve

#: Limits high enough that the fuzz meets none of them.
FUZZ_ENV = {
    "PASSWORD_HASH_PROFILE": "CHEAPEST",
    "RATE_LIMIT_PER_MINUTE": "1000000",
    "AUTH_RATE_LIMIT_PER_MINUTE": "1000000",
    "LOGIN_MAX_FAILURES": "1000000",
    "LOGIN_MAX_FAILURES_PER_ADDRESS": "1000000",
}

#: Generated cases per operation and phase; the coverage phase adds its systematic ones.
MAX_EXAMPLES = 25

PASSWORD = "fuzz password"


@pytest.fixture
def live(database_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    """``python -m server`` on this engine, as ``make run`` starts it."""
    with serve(tmp_path, {"DATABASE_URL": database_url, **FUZZ_ENV}) as server:
        yield server


class FuzzUser:
    """A logged-in browser whose session cookie schemathesis sends (or leaves out) itself.

    The requests session keeps only the ``csrftoken`` cookie; the ``session`` cookie is a
    credential in schemathesis' auth config, so a negative case can really go without it. A
    fuzzed register, login or logout gets a spare session of its own to end.
    """

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http = requests.Session()
        self.username = f"fuzz_{uuid.uuid4().hex[:8]}"
        self.http.get(f"{base_url}/api/v1/auth/me")
        self.csrf = self.http.cookies["csrftoken"]
        self.session_cookie = "null"
        self._post("/api/v1/auth/register", {"username": self.username, "password": PASSWORD})
        chat_session = {
            "clientSessionId": str(uuid.uuid4()),
            "characterId": "c",
            "characterName": "C",
            "modelId": "m",
            "createdAt": "2025-01-01T00:00:00Z",
        }
        self.chat_session_id = self._post("/api/v1/character-chat/sessions", chat_session)["id"]

    def _post(self, path: str, body: dict[str, str]) -> dict[str, str]:
        response = self.http.post(
            f"{self.base_url}{path}",
            json=body,
            headers={"x-csrftoken": self.csrf},
            cookies={"session": self.session_cookie},
        )
        assert response.status_code in {200, 201}, response.text
        self.session_cookie = response.cookies.get("session", self.session_cookie)
        self.restore()
        return dict(response.json())

    def forget_session_cookie(self) -> None:
        """Drop any ``session`` cookie the server set in the jar (after register/login)."""
        for cookie in [cookie for cookie in self.http.cookies if cookie.name == "session"]:
            self.http.cookies.clear(cookie.domain, cookie.path, cookie.name)

    def spare_session(self) -> str:
        """Another session of this user, for a fuzzed register/login/logout to replace or end:
        each of those gives the session a new id (or none), which would end the shared one."""
        response = self.http.post(
            f"{self.base_url}/api/v1/auth/login",
            json={"username": self.username, "password": PASSWORD},
            headers={"x-csrftoken": self.csrf},
            cookies={"session": "null"},
        )
        assert response.status_code == 200, response.text
        spare = str(response.cookies["session"])
        self.restore()
        return spare

    def restore(self) -> None:
        """After a request the server answered with new cookies: the jar goes back to the
        shared CSRF token (the header schemathesis sends) and to no session cookie."""
        self.forget_session_cookie()
        self.http.cookies.set("csrftoken", self.csrf)

    def config(self) -> SchemathesisConfig:
        return SchemathesisConfig.from_dict(
            {
                # Litestar 2.x answers OPTIONS on a path with several handlers with an Allow
                # header naming only the first one's method (litestar#4169, fixed in 3.0 only).
                # Nothing of ours sends OPTIONS (same origin, no CORS); 405s do list them all.
                "checks": {"allow_header_conformance": {"enabled": False}},
                "auth": {
                    "openapi": {
                        "sessionCookie": {"api_key": self.session_cookie},
                        "csrfHeader": {"api_key": self.csrf},
                    }
                },
            }
        )


def test_api_matches_its_schema(live: LiveServer) -> None:
    user = FuzzUser(live.url)
    # The JSON API; the page's own routes (health, presets) document no error responses, while
    # any request can be refused before it is routed (Litestar answers a malformed Host header
    # with an error), so fuzzing them would only find that.
    api_schema = schemathesis.openapi.from_url(f"{live.url}/schema", config=user.config()).include(
        path_regex="^/api/"
    )

    def check(case: schemathesis.Case) -> None:
        if "session_id" in (case.path_parameters or {}) and not (
            case.meta and case.meta.is_negative_at(ParameterLocation.PATH)
        ):
            case.path_parameters["session_id"] = user.chat_session_id
        is_auth_post = case.path.startswith("/api/v1/auth/") and case.method.upper() == "POST"
        if is_auth_post and case.cookies and case.cookies.get("session") == user.session_cookie:
            case.cookies["session"] = user.spare_session()
        try:
            response = case.call_and_validate(base_url=live.url, session=user.http)
            if response.request.method == case.operation.method.upper():
                reached[case.operation.label] += _handled(response)
        finally:
            user.restore()

    config = HypothesisTestConfig(
        project=api_schema.config,
        modes=list(HypothesisTestMode),
        settings=settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
    reached: Counter[str] = Counter()
    failures: list[str] = []
    for result in api_schema.get_all_operations():
        operation = result.ok()
        try:
            create_test(operation=operation, test_func=check, config=config)()
        except Exception as exc:  # noqa: BLE001 - collect every operation's failure, then report
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)
    # The fuzz got past the session, CSRF and validation checks into every handler.
    labels = {result.ok().label for result in api_schema.get_all_operations()}
    assert {label for label in labels if not reached[label]} == set(), reached


def _handled(response: Response) -> bool:
    """Answered by the handler itself: a success, or an outcome only the handler decides."""
    if 200 <= response.status_code < 300:
        return True
    code = response.json().get("code") if response.content else None
    return code in {"invalid_credentials", "username_taken", "conflict"}
