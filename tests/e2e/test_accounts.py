"""Security and accounts in the page: one account's chats never shown to or sent by another,
nothing in a file can stop the app from starting, a status check that fails is asked again,
tabs agree on who is signed in, and "use it here" gives the model to the tab that asked.

Faults are injected with Playwright routing and by writing IndexedDB from the test, never
through product code.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from playwright.sync_api import BrowserContext, Page, Route, expect

from tests.e2e import test_outbox
from tests.e2e.conftest import server_log, wait_ready
from tests.e2e.test_outbox import REPLY, expect_synced, greeting, load_model, open_app, say
from tests.support.live_server import LiveServer

PASSWORD = "correct horse battery"

context = test_outbox.context  # the same fixture: a context with the scripted engine


def sign_in(page: Page, action: str, username: str) -> None:
    page.bring_to_front()  # the user clicks in the tab in front (a hidden tab's clicks wait)
    page.click("#account-button")
    page.fill("#account-form [name=username]", username)
    page.fill("#account-form [name=password]", PASSWORD)
    page.click(f"#{action}")
    expect(page.locator("#account-button")).to_have_attribute("data-signed-in", "yes")


def sign_out(page: Page, choice: str) -> None:
    page.bring_to_front()
    if not page.locator("#account-dialog").is_visible():
        page.click("#account-button")
    page.click("#logout")
    page.click(f"#logout-{choice}")
    expect(page.locator("#account-button")).to_have_attribute("data-signed-in", "no")
    page.keyboard.press("Escape")


def chat_titles(page: Page) -> list[str]:
    return page.locator("#session-list li").all_inner_texts()


# -- one account's data is never shown to, or sent by, another --------------------------------


def test_a_shared_browser_keeps_accounts_apart(
    context: BrowserContext, live_server: LiveServer
) -> None:
    page = open_app(context, live_server.url)
    alice, bob = f"a{uuid.uuid4().hex[:9]}", f"b{uuid.uuid4().hex[:9]}"
    sign_in(page, "register", alice)
    page.keyboard.press("Escape")
    hello = greeting(page)
    load_model(page)
    say(page, "alice's secret")
    expect_synced(page)
    sign_out(page, "keep")
    expect(page.locator("#chat .message.user")).to_have_count(0)  # her chat left the screen
    assert not any("alice's secret" in title for title in chat_titles(page))
    say(page, "typed while signed out")

    sign_in(page, "register", bob)
    expect(page.locator("#adopt-choice")).to_be_visible()
    page.click("#adopt-no")
    expect(page.locator("#account-dialog")).to_be_hidden()
    assert not any("alice's secret" in title for title in chat_titles(page))
    assert not any("typed while signed out" in title for title in chat_titles(page))
    expect(page.locator("#chat .message.user")).to_have_count(0)
    say(page, "bob's own")
    expect_synced(page)
    assert server_log(live_server, bob) == [
        ("assistant", 0, hello),
        ("user", 1, "bob's own"),
        ("assistant", 2, REPLY),
    ]
    assert [row[2] for row in server_log(live_server, alice)] == [hello, "alice's secret", REPLY]
    # Her chats coming back at her next login, and the logged-out chat joining her when she says
    # yes, are the card test below and test_outbox's adoption test; the rules are unit tests
    # (test_account_state.py, test_storage_owners.py).


def test_a_card_imported_by_one_account_is_not_shown_to_another(
    context: BrowserContext, live_server: LiveServer, tmp_path: Path
) -> None:
    page = open_app(context, live_server.url)
    owner = f"c{uuid.uuid4().hex[:9]}"
    sign_in(page, "register", owner)
    page.keyboard.press("Escape")
    card = tmp_path / "private.json"
    card.write_text(json.dumps({"spec": "chara_card_v2", "data": {"name": "Private Card"}}))
    page.set_input_files("#card-file", str(card))
    expect(page.locator("#chat-name")).to_have_text("Private Card")
    sign_out(page, "keep")
    expect(page.locator("#character-list li", has_text="Private Card")).to_have_count(0)
    expect(page.locator("#chat-name")).not_to_have_text("Private Card")
    sign_in(page, "register", f"d{uuid.uuid4().hex[:9]}")
    page.keyboard.press("Escape")
    expect(page.locator("#character-list li", has_text="Private Card")).to_have_count(0)
    sign_out(page, "keep")
    sign_in(page, "login", owner)
    page.keyboard.press("Escape")
    expect(page.locator("#character-list li", has_text="Private Card")).to_have_count(1)


def test_logging_out_can_remove_the_accounts_chats_from_this_device(
    context: BrowserContext, live_server: LiveServer
) -> None:
    page = open_app(context, live_server.url)
    user = f"r{uuid.uuid4().hex[:9]}"
    sign_in(page, "register", user)
    page.keyboard.press("Escape")
    load_model(page)
    say(page, "leave no trace")
    expect_synced(page)
    sign_out(page, "remove")
    stored = page.evaluate(
        """() => new Promise((resolve) => {
            const open = indexedDB.open("character-chat");
            open.onsuccess = () => {
                const tx = open.result.transaction(["messages", "outbox"]);
                const all = tx.objectStore("messages").getAll();
                all.onsuccess = () => resolve(JSON.stringify(all.result));
            };
        })"""
    )
    assert "leave no trace" not in stored
    sign_in(page, "login", user)  # the server still has it: logging in brings it back
    page.keyboard.press("Escape")
    expect(page.locator("#session-list li", has_text="leave no trace")).to_have_count(1)


def test_a_logout_in_one_tab_shows_in_the_others(
    context: BrowserContext, live_server: LiveServer
) -> None:
    first = open_app(context, live_server.url)
    sign_in(first, "register", f"t{uuid.uuid4().hex[:9]}")
    first.keyboard.press("Escape")
    second = open_app(context, live_server.url)
    expect(second.locator("#account-button")).to_have_attribute("data-signed-in", "yes")
    sign_out(first, "keep")
    expect(second.locator("#account-button")).to_have_attribute("data-signed-in", "no")
    second.click("#account-button")
    expect(second.locator("#logout")).to_be_hidden()


def test_a_failed_status_check_is_asked_again_not_taken_for_logged_out(
    context: BrowserContext, live_server: LiveServer
) -> None:
    page = open_app(context, live_server.url)
    user = f"s{uuid.uuid4().hex[:9]}"
    sign_in(page, "register", user)
    page.keyboard.press("Escape")
    hits: list[int] = []

    def flaky(route: Route) -> None:
        hits.append(1)
        if len(hits) == 1:
            route.fulfill(status=503, content_type="text/plain", body="Service Unavailable")
        else:
            route.continue_()

    page.route("**/api/v1/auth/status", flaky)
    page.reload()
    wait_ready(page)
    expect(page.locator("#account-button")).to_have_attribute("data-signed-in", "yes")
    load_model(page)
    say(page, "still signed in")
    expect_synced(page)  # the outbox was not left paused
    assert len(hits) >= 2
    assert "still signed in" in [row[2] for row in server_log(live_server, user)]


# -- nothing a file contains can stop the app from starting ------------------------------------


def test_a_card_with_a_constructor_key_imports_and_the_app_still_starts(
    context: BrowserContext, live_server: LiveServer, tmp_path: Path
) -> None:
    page = open_app(context, live_server.url)
    card = {
        "spec": "chara_card_v2",
        "spec_version": "2.0",
        "data": {
            "name": "Proto",
            "first_mes": "I am made of odd keys.",
            "constructor": {"x": 1},
            "extensions": {"constructor": {"y": 2}},
            "character_book": {"entries": [{"keys": ["a"], "content": "b", "constructor": 3}]},
        },
    }
    path = tmp_path / "proto.json"
    path.write_text(json.dumps(card))
    page.set_input_files("#card-file", str(path))
    expect(page.locator("#chat-name")).to_have_text("Proto")
    page.reload()
    wait_ready(page)
    expect(page.locator("#status")).to_have_attribute("data-state", "ready")
    expect(page.locator("#character-list li", has_text="Proto")).to_have_count(1)
    with page.expect_download() as download:
        page.click("#export-json")
    exported = json.loads(Path(download.value.path()).read_text())
    assert exported["data"]["extensions"]["constructor"] == {"y": 2}


BROKEN_RECORDS = """() => new Promise((resolve, reject) => {
    const open = indexedDB.open("character-chat");
    open.onsuccess = () => {
        const tx = open.result.transaction(["characters", "sessions"], "readwrite");
        const characters = tx.objectStore("characters");
        characters.getAll().onsuccess = (event) => {
            const character_id = event.target.result[0].id;  // shown at start: its chats are read
            characters.put({id: "broken-character", name: 42, card_extra: "x"});
            tx.objectStore("sessions").put({id: "broken-session", character_id, settings: []});
        };
        tx.oncomplete = () => { open.result.close(); resolve(true); };
        tx.onerror = () => reject(tx.error);
    };
})"""


def test_records_that_cannot_be_read_are_set_aside_and_the_rest_starts(
    context: BrowserContext, live_server: LiveServer, tmp_path: Path
) -> None:
    page = open_app(context, live_server.url)
    characters = page.locator("#character-list li").count()
    page.evaluate(BROKEN_RECORDS)
    page.reload()
    wait_ready(page)
    expect(page.locator("#status")).to_have_attribute("data-state", "ready")
    banner = page.locator("#data-banner")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("2")
    expect(page.locator("#character-list li")).to_have_count(characters)
    with page.expect_download() as download:
        page.click("#set-aside-download")
    saved = json.loads(Path(download.value.path()).read_text())
    assert {r["key"] for r in saved["records"]} == {"broken-character", "broken-session"}
    page.click("#set-aside-remove")
    expect(banner).to_be_hidden()
    page.reload()
    wait_ready(page)
    expect(page.locator("#data-banner")).to_be_hidden()


def test_importing_deeply_nested_json_is_refused_and_the_app_lives_on(
    context: BrowserContext, live_server: LiveServer, tmp_path: Path
) -> None:
    page = open_app(context, live_server.url)
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    page.click("#settings-button")
    expect(page.locator("#settings-dialog")).to_be_visible()  # as a user chooses the file
    page.set_input_files("#import-data", str(deep))
    message = page.locator("#settings-message")
    expect(message).to_be_visible()
    expect(message).to_contain_text("nested")
    page.keyboard.press("Escape")
    page.set_input_files("#card-file", str(deep))
    expect(page.locator("#status")).to_contain_text("nested")
    load_model(page)
    say(page, "still here")  # the interpreter survived both


# -- one model, handed to the tab that asked -------------------------------------------------


def test_use_it_here_with_three_tabs_goes_to_the_tab_that_asked(
    context: BrowserContext, live_server: LiveServer
) -> None:
    first = open_app(context, live_server.url)
    load_model(first)
    second = open_app(context, live_server.url)
    third = open_app(context, live_server.url)
    for waiting in (second, third):
        expect(waiting.locator("#engine-banner")).to_have_attribute("data-state", "other-tab")
    third.locator("#engine-banner button.use-here").click()
    expect(third.locator("#model-button")).to_have_attribute("data-loaded", "yes")
    expect(first.locator("#engine-banner")).to_have_attribute("data-state", "moved")
    expect(second.locator("#engine-banner")).to_have_attribute("data-state", "other-tab")
    expect(second.locator("#model-button")).to_have_attribute("data-loaded", "no")
    say(third, "the third tab has it")
    third.close()  # then the queue decides: the second tab queued before the first
    expect(second.locator("#model-button")).to_have_attribute("data-loaded", "yes")
    expect(first.locator("#model-button")).to_have_attribute("data-loaded", "no")
    held = first.evaluate("async () => (await navigator.locks.query()).held.length")
    assert held == 1
