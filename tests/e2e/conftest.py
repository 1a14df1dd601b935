"""Browser-test fixtures: a live server, Chromium with WebGPU, and the scripted engine."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, Route, expect

from tests.support.browser import launch_options
from tests.support.live_server import LiveServer, serve

SCRIPTED_ENGINE = Path(__file__).with_name("scripted_engine.js")
WEBLLM_MODULE = "**/runtime/web-llm/index.js"
#: Page scripts recording the load bar's percents and the streaming reply's lengths.
RECORD_PROGRESS = """
() => {
  window.__percents = [];
  const panel = document.getElementById('load-panel');
  new MutationObserver(() => {
    const value = panel.getAttribute('data-percent');
    if (value !== null) window.__percents.push(Number(value));
  }).observe(panel, {attributes: true, attributeFilter: ['data-percent']});
}
"""
RECORD_REPLY_LENGTHS = """
() => {
  window.__lengths = [];
  new MutationObserver(() => {
    const reply = document.querySelector('.message.assistant[data-state=streaming] .content');
    if (reply) window.__lengths.push(reply.textContent.length);
  }).observe(document.getElementById('chat'), {subtree: true, childList: true, characterData: true});
}
"""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything in this folder drives a browser."""
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """System Chromium, headless, with its SwiftShader WebGPU adapter enabled."""
    return {**browser_type_launch_args, **launch_options(webgpu=True)}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    """Service workers off unless a test asks for them: routed fixtures must reach the page."""
    return {**browser_context_args, "service_workers": "block"}


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The real server (SQLite in a temp folder) for the whole browser session."""
    # Many test users register from one address: lift the per-address limits for this server.
    limits = {"AUTH_RATE_LIMIT_PER_MINUTE": "100000", "RATE_LIMIT_PER_MINUTE": "100000"}
    with serve(tmp_path_factory.mktemp("live"), limits) as server:
        yield server


@dataclass
class PageWatch:
    """Every request URL, console error and uncaught exception a page produced."""

    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def external_requests(self) -> list[str]:
        """Requests to any host but 127.0.0.1 (data: and blob: URLs are local)."""
        return [
            url
            for url in self.requests
            if urlsplit(url).scheme in {"http", "https", "ws", "wss"}
            and urlsplit(url).hostname != "127.0.0.1"
        ]


def watch_page(page: Page) -> PageWatch:
    """Start recording ``page``'s requests and errors."""
    watch = PageWatch()
    page.on("request", lambda request: watch.requests.append(request.url))
    page.on(
        "console",
        lambda message: watch.errors.append(message.text) if message.type == "error" else None,
    )
    page.on("pageerror", lambda error: watch.errors.append(f"uncaught: {error}"))
    return watch


@pytest.fixture
def page_watch(page: Page) -> PageWatch:
    """Requests and errors of the test's page."""
    return watch_page(page)


def route_scripted_engine(page_or_context: Any, settings: dict[str, Any] | None = None) -> None:
    """Serve the scripted engine where the page loads WebLLM; optionally steer it."""
    body = SCRIPTED_ENGINE.read_text()

    def fulfil(route: Route) -> None:
        if "?real" in route.request.url:
            route.continue_()
        else:
            route.fulfill(body=body, content_type="text/javascript")

    page_or_context.route(WEBLLM_MODULE, fulfil)
    if settings:
        import json

        page_or_context.add_init_script(f"globalThis.__scriptedEngine = {json.dumps(settings)};")


@pytest.fixture
def scripted_page(page: Page) -> Page:
    """The test's page with the scripted engine in place of WebLLM."""
    route_scripted_engine(page)
    return page


def wait_ready(page: Page, timeout: float = 60_000) -> None:
    """Wait until Python reports ready (or an error, which the test then sees)."""
    page.wait_for_selector("#status[data-state=ready], #status[data-state=error]", timeout=timeout)


def wait_for_log(page: Page, server: LiveServer, username: str, count: int) -> None:
    """Wait (up to 30 s) until the server holds ``count`` messages of ``username``: for a flush
    that follows a user's choice while the indicator already says synced."""
    for _ in range(150):
        if len(server_log(server, username)) >= count:
            return
        page.wait_for_timeout(200)


def server_log(server: LiveServer, username: str) -> list[tuple[str, int, str]]:
    """(role, seq, content) of every stored message of ``username``, by session then seq."""
    with sqlite3.connect(server.data_dir / "app.sqlite") as db:
        rows = db.execute(
            """
            SELECT m.role, m.seq, m.content FROM chat_message m
            JOIN chat_session s ON m.session = s.id
            JOIN account a ON s.account = a.id
            WHERE a.username = ? ORDER BY s.created_at, m.seq, m.created_at
            """,
            (username,),
        ).fetchall()
    return [(role, seq, content) for role, seq, content in rows]


def register(page: Page) -> str:
    username = f"u{uuid.uuid4().hex[:10]}"
    page.click("#account-button")
    page.fill("#account-form [name=username]", username)
    page.fill("#account-form [name=password]", "correct horse battery")
    page.click("#register")
    expect(page.locator("#account-button")).to_have_attribute("data-signed-in", "yes")
    return username
