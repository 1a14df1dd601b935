"""Exactly-once chat logs through offline periods, server errors, rate limits, logins and tabs.

Each test ends by reading the server's own database: exactly the expected messages, in order.
Faults are injected with Playwright routing, never through product code.
"""

from __future__ import annotations

import itertools
import json
import re
import uuid
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect

from app.models import builtin_characters
from app.prompt import substitute_macros
from tests.e2e.conftest import (
    register,
    route_scripted_engine,
    server_log,
    wait_for_log,
    wait_ready,
)
from tests.support.live_server import LiveServer

MODEL = "Qwen3-0.6B-q4f32_1-MLC"
REPLY = "Noted."
SESSIONS = "/api/v1/character-chat/sessions"


@pytest.fixture
def context(browser: Browser) -> Any:
    context = browser.new_context(service_workers="block")
    route_scripted_engine(context, {"reply": REPLY, "loadSteps": 1, "tokenDelayMs": 1})
    yield context
    context.close()


def open_app(context: BrowserContext, url: str) -> Page:
    page = context.new_page()
    page.goto(url)
    wait_ready(page)
    return page


def load_model(page: Page) -> None:
    page.click("#model-button")
    page.click(f"#model-list li[data-model='{MODEL}'] button.load")
    expect(page.locator("#model-button")).to_have_attribute("data-loaded", "yes")


def say(page: Page, text: str) -> None:
    replies = page.locator(".message.assistant").count()
    page.fill("#prompt", text)
    page.keyboard.press("Enter")
    expect(page.locator(".message.assistant")).to_have_count(replies + 1)
    # Saved (and so in the outbox): the streaming view gives way to the stored message's.
    expect(page.locator(".message.assistant").last).to_have_attribute("data-state", "done")
    expect(page.locator(".message.assistant").last).to_have_attribute("data-id", re.compile("."))


def expect_synced(page: Page, timeout: float = 45_000) -> None:
    expect(page.locator("#sync-indicator")).to_have_attribute(
        "data-sync", "synced", timeout=timeout
    )


def greeting(page: Page) -> str:
    """The raw text (markdown, as logged) of the open chat's greeting, a built-in character's."""
    name = page.locator("#chat-name").inner_text()
    character = next(c for c in builtin_characters() if c.name == name)
    return substitute_macros(character.first_mes, char=character.name, user="User").strip()


#: Records each outbox-lock request a tab asked for only if free, and whether it got it.
_COUNT_LOCK_TRIES = """
(() => {
  window.__outboxTries = [];
  const request = navigator.locks.request.bind(navigator.locks);
  navigator.locks.request = (name, options, callback) => {
    if (name !== "character-chat-outbox" || !options || !options.ifAvailable) {
      return request(name, options, callback);
    }
    return request(name, options, (lock) => {
      window.__outboxTries.push(lock ? "got" : "busy");
      return callback(lock);
    });
  };
})();
"""


def test_one_tab_sends_each_turn_without_waiting_for_its_own_lock(
    context: BrowserContext, live_server: LiveServer
) -> None:
    """A flush that follows another in the same tab finds the lock free: releasing it is
    awaited, so the reply's log does not wait for the "another tab is flushing" retry."""
    context.add_init_script(_COUNT_LOCK_TRIES)
    page = open_app(context, live_server.url)
    user = register(page)
    load_model(page)
    for text in ("one", "two", "three"):
        say(page, text)
        expect_synced(page)
    assert [row[2] for row in server_log(live_server, user)][1:] == [
        "one",
        REPLY,
        "two",
        REPLY,
        "three",
        REPLY,
    ]
    tries = page.evaluate("window.__outboxTries")
    assert "got" in tries
    assert "busy" not in tries  # the only tab never found the lock held


def test_offline_chat_survives_closing_the_page(
    context: BrowserContext, live_server: LiveServer
) -> None:
    page = open_app(context, live_server.url)
    user = register(page)
    hello = greeting(page)
    load_model(page)
    context.set_offline(True)
    say(page, "first, offline")
    say(page, "second, offline")
    expect(page.locator("#sync-indicator")).to_have_attribute("data-sync", "offline")
    assert server_log(live_server, user) == []
    page.close()  # closed while still offline
    context.set_offline(False)
    page = open_app(context, live_server.url)
    expect_synced(page)
    assert server_log(live_server, user) == [
        ("assistant", 0, hello),
        ("user", 1, "first, offline"),
        ("assistant", 2, REPLY),
        ("user", 3, "second, offline"),
        ("assistant", 4, REPLY),
    ]


def _fail_first(count: int, status: int, headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    seen = itertools.count()
    hits: list[int] = []

    def handler(route: Route) -> None:
        if route.request.method == "POST" and next(seen) < count:
            hits.append(status)
            route.fulfill(
                status=status,
                headers=headers or {},
                content_type="application/json",
                body=json.dumps(
                    {
                        "code": "rate_limited" if status == 429 else "internal_error",
                        "message": "injected",
                    }
                ),
            )
        else:
            route.continue_()

    return handler, hits


def test_server_trouble_then_recovery_stores_everything_once(
    context: BrowserContext, live_server: LiveServer
) -> None:
    """The wiring: refusals the page's fetch sees (status and Retry-After) reach the outbox
    and it recovers. Each kind of trouble (5xx, 429 with and without Retry-After, lost
    answers) is decided in CPython: tests/unit/test_outbox_sync.py and, against the real
    server, tests/server/test_outbox_contract.py."""
    page = open_app(context, live_server.url)
    user = register(page)
    hello = greeting(page)
    handler, hits = _fail_first(3, 429, {"Retry-After": "1"})
    context.route("**/api/v1/character-chat/**", handler)
    load_model(page)
    say(page, "through the storm")
    expect_synced(page)
    assert len(hits) == 3
    assert server_log(live_server, user) == [
        ("assistant", 0, hello),
        ("user", 1, "through the storm"),
        ("assistant", 2, REPLY),
    ]


def test_rejected_message_is_shown_failed_and_the_rest_sync(
    context: BrowserContext, live_server: LiveServer
) -> None:
    page = open_app(context, live_server.url)
    user = register(page)
    load_model(page)
    too_long = "x" * 100_001  # the server refuses content over 100,000 characters (422)
    say(page, "fine")
    page.fill("#prompt", too_long)
    page.keyboard.press("Enter")
    expect(page.locator(".message.assistant")).to_have_count(3)
    say(page, "also fine")
    indicator = page.locator("#sync-indicator")
    expect(indicator).to_have_attribute("data-sync", "failed", timeout=45_000)
    expect(indicator).to_have_attribute("data-failed", "1")
    expect(indicator).to_have_attribute("data-waiting", "0", timeout=45_000)  # the rest went
    stored = server_log(live_server, user)
    assert [(role, seq) for role, seq, _ in stored] == [
        ("assistant", 0),
        ("user", 1),
        ("assistant", 2),
        ("assistant", 4),
        ("user", 5),
        ("assistant", 6),
    ]
    assert all(content != too_long for _, _, content in stored)
    indicator.click()
    failed = page.locator("#failed-list .failed-item")
    expect(failed).to_have_count(1)
    expect(failed.locator(".reason")).to_contain_text("100000")
    page.once("dialog", lambda dialog: dialog.accept())
    failed.locator("button.discard").click()
    expect(failed).to_have_count(0)
    expect(indicator).to_have_attribute("data-sync", "synced")


def test_logged_out_logs_wait_and_flush_on_login_once_the_user_adds_them(
    context: BrowserContext, live_server: LiveServer
) -> None:
    page = open_app(context, live_server.url)
    hello = greeting(page)
    load_model(page)
    say(page, "before login")
    indicator = page.locator("#sync-indicator")
    expect(indicator).to_have_attribute("data-sync", "paused")
    expect(indicator).to_have_attribute("data-waiting", "4")  # session + greeting + user + reply
    user = register(page)
    # Written while nobody was signed in: they join the account when the user says so.
    expect(page.locator("#adopt-choice")).to_be_visible()
    page.click("#adopt-yes")
    wait_for_log(page, live_server, user, 3)
    expect_synced(page)
    assert server_log(live_server, user) == [
        ("assistant", 0, hello),
        ("user", 1, "before login"),
        ("assistant", 2, REPLY),
    ]


def test_two_tabs_one_session_toggling_offline_store_each_message_once(
    context: BrowserContext, live_server: LiveServer
) -> None:
    first = open_app(context, live_server.url)
    user = register(first)
    hello = greeting(first)
    load_model(first)
    say(first, "tab one, online")
    second = open_app(context, live_server.url)  # same session, restored from IndexedDB
    expect(second.locator(".message.user")).to_have_count(1)
    context.set_offline(True)
    say(first, "tab one, offline")  # the second tab's view is now behind
    context.set_offline(False)

    second.bring_to_front()
    second.locator("#engine-banner button.use-here").click()
    expect(second.locator("#model-button")).to_have_attribute("data-loaded", "yes")
    context.set_offline(True)
    second.fill("#prompt", "tab two, offline")  # its view lacks the first tab's last turn:
    second.keyboard.press("Enter")  # it catches up, then adds its own message after it
    expect(second.locator(".message.user")).to_have_count(3)
    expect(second.locator(".message.assistant")).to_have_count(4)
    expect(second.locator(".message.assistant").last).to_have_attribute("data-state", "done")
    context.set_offline(False)
    expect_synced(second)
    expect_synced(first)
    assert server_log(live_server, user) == [
        ("assistant", 0, hello),
        ("user", 1, "tab one, online"),
        ("assistant", 2, REPLY),
        ("user", 3, "tab one, offline"),
        ("assistant", 4, REPLY),
        ("user", 5, "tab two, offline"),
        ("assistant", 6, REPLY),
    ]


def _stored_elsewhere(server: LiveServer, turns: list[tuple[str, str]]) -> str:
    """A new account whose chat with the first built-in character another browser synced:
    written over the API (the page's own sync is what the other tests here check)."""
    username = f"u{uuid.uuid4().hex[:10]}"
    character = builtin_characters()[0]
    with httpx.Client(base_url=server.url) as http:
        http.get("/api/v1/auth/me")  # the CSRF cookie, as the page gets it
        http.headers["x-csrftoken"] = http.cookies["csrftoken"]
        account = {"username": username, "password": "correct horse battery"}
        http.post("/api/v1/auth/register", json=account).raise_for_status()
        http.headers["x-csrftoken"] = http.cookies["csrftoken"]
        made = http.post(
            SESSIONS,
            json={
                "clientSessionId": str(uuid.uuid4()),
                "characterId": character.id,
                "characterName": character.name,
                "modelId": MODEL,
                "title": turns[1][1],
                "createdAt": "2026-01-02T03:04:05Z",
            },
        )
        made.raise_for_status()
        messages = [
            {
                "clientMessageId": str(uuid.uuid4()),
                "role": role,
                "content": content,
                "seq": seq,
                "createdAt": f"2026-01-02T03:04:{seq + 6:02d}Z",
            }
            for seq, (role, content) in enumerate(turns)
        ]
        batch = http.post(
            f"{SESSIONS}/{made.json()['id']}/messages/batch", json={"messages": messages}
        )
        batch.raise_for_status()
    return username


def test_login_on_a_fresh_browser_restores_history(
    browser: Browser, live_server: LiveServer
) -> None:
    character = builtin_characters()[0]
    hello = substitute_macros(character.first_mes, char=character.name, user="User").strip()
    turns = [("assistant", hello), ("user", "remember me"), ("assistant", REPLY)]
    user = _stored_elsewhere(live_server, turns)
    stored = server_log(live_server, user)
    assert stored == [(role, seq, text) for seq, (role, text) in enumerate(turns)]

    fresh = browser.new_context(service_workers="block")
    try:
        page = open_app(fresh, live_server.url)
        page.click("#account-button")
        page.fill("#account-form [name=username]", user)
        page.fill("#account-form [name=password]", "correct horse battery")
        page.click("#login")
        expect(page.locator("#account-button")).to_have_attribute("data-signed-in", "yes")
        page.click(f"#character-list li.character[data-id='{character.id}'] button")
        restored = page.locator("#session-list li", has_text="remember me")
        expect(restored).to_have_count(1)
        restored.locator("button.side-button").click()
        expect(page.locator("#chat .message")).to_have_count(3)
        assert page.locator("#chat .message.user .content").inner_text() == "remember me"
        assert page.locator("#chat .message.assistant .content").last.inner_text() == REPLY
        page.reload()  # a second login on this browser would not pull again; nothing duplicated
        wait_ready(page)
        expect(page.locator("#session-list li", has_text="remember me")).to_have_count(1)
        expect_synced(page)
        assert server_log(live_server, user) == stored
    finally:
        fresh.close()
