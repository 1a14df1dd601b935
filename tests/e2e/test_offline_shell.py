"""The offline app shell: a page opened with no network boots and chats; updates are atomic."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.conftest import route_scripted_engine, wait_ready, watch_page
from tests.e2e.test_outbox import REPLY, greeting, load_model, register, say, server_log
from tests.support.live_server import ROOT, LiveServer, serve

MODEL = "Qwen3-0.6B-q4f32_1-MLC"


@pytest.fixture
def sw_context(browser: Browser) -> Iterator[BrowserContext]:
    """Service workers allowed; the scripted engine stands in for WebLLM (a 'cached' model)."""
    context = browser.new_context(service_workers="allow")
    route_scripted_engine(context, {"reply": REPLY, "loadSteps": 1, "cachedModels": [MODEL]})
    yield context
    context.close()


def controlled(page: Page) -> None:
    """Wait until the service worker has precached the shell and controls the page."""
    page.wait_for_function(
        "navigator.serviceWorker && navigator.serviceWorker.controller !== null", timeout=60_000
    )


def test_offline_open_boots_chats_and_syncs_once_back_online(
    sw_context: BrowserContext, live_server: LiveServer
) -> None:
    page = sw_context.new_page()
    page.goto(live_server.url)
    wait_ready(page)
    user = register(page)
    hello = greeting(page)
    controlled(page)
    page.close()

    sw_context.set_offline(True)
    page = sw_context.new_page()
    watch = watch_page(page)
    page.goto(live_server.url)
    wait_ready(page)
    expect(page.locator("#status")).to_have_attribute("data-state", "ready")
    # Python came from the precached memory snapshot too, not a from-scratch start.
    assert page.evaluate("performance.getEntriesByName('python:snapshot').length") == 1
    banner = page.locator("#offline-banner")
    expect(banner).to_have_attribute("data-cached", "yes")
    expect(banner).to_contain_text(MODEL)
    load_model(page)
    say(page, "written with no network at all")
    expect(page.locator("#sync-indicator")).to_have_attribute("data-sync", "offline")
    assert server_log(live_server, user) == []

    sw_context.set_offline(False)
    expect(page.locator("#sync-indicator")).to_have_attribute("data-sync", "synced", timeout=45_000)
    assert server_log(live_server, user) == [
        ("assistant", 0, hello),
        ("user", 1, "written with no network at all"),
        ("assistant", 2, REPLY),
    ]
    # The only failed loads allowed: the scripted engine's own import of the real WebLLM module.
    assert [e for e in watch.errors if "net::ERR_FAILED" not in e] == []


def test_offline_with_no_model_says_which_to_download(
    browser: Browser, live_server: LiveServer
) -> None:
    context = browser.new_context(service_workers="allow")
    route_scripted_engine(context, {"cachedModels": []})
    try:
        page = context.new_page()
        page.goto(live_server.url)
        wait_ready(page)
        controlled(page)
        context.set_offline(True)
        page.reload()
        wait_ready(page)
        banner = page.locator("#offline-banner")
        expect(banner).to_have_attribute("data-cached", "no")
        expect(banner).to_contain_text("no model is downloaded")
        expect(banner).to_contain_text("q4f32")  # the recommendation fits this f16-less adapter
    finally:
        context.close()


@pytest.fixture
def deployable(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, Path]]:
    """A server whose app/ is a copy we can redeploy."""
    app_copy = tmp_path_factory.mktemp("deploy") / "app"
    shutil.copytree(ROOT / "app", app_copy, ignore=shutil.ignore_patterns("__pycache__"))
    with serve(tmp_path_factory.mktemp("deploy-data"), {"APP_DIR": str(app_copy)}) as server:
        yield server, app_copy


def test_new_version_shows_update_notice_and_runs_after_reload(
    browser: Browser, deployable: tuple[LiveServer, Path]
) -> None:
    server, app_copy = deployable
    context = browser.new_context(service_workers="allow")
    try:
        page = context.new_page()
        page.goto(server.url)
        wait_ready(page)
        controlled(page)
        version_1 = page.evaluate(
            "async () => (await caches.keys()).filter(k => k.startsWith('shell-'))"
        )
        assert len(version_1) == 1
        expect(page.locator("#app-title")).to_have_text("Character Chat")

        catalogue = app_copy / "i18n.py"
        catalogue.write_text(
            catalogue.read_text().replace('"en": "Character Chat"', '"en": "Character Chat 2"', 1)
        )
        page.reload()  # a navigation makes the browser check /sw.js: the new worker installs, waits
        wait_ready(page)
        expect(page.locator("#app-title")).to_have_text("Character Chat")  # still all old code
        update = page.locator("#update-banner")
        expect(update).to_be_visible(timeout=60_000)
        served_by_network: list[str] = []
        page.on(
            "response",
            lambda r: (
                served_by_network.append(r.url)
                if not r.from_service_worker and "/app.zip" in r.url
                else None
            ),
        )
        with page.expect_navigation():
            update.locator("button.reload").click()
        wait_ready(page)
        expect(page.locator("#app-title")).to_have_text("Character Chat 2")
        caches_now = page.evaluate(
            "async () => (await caches.keys()).filter(k => k.startsWith('shell-'))"
        )
        assert len(caches_now) == 1
        assert caches_now != version_1
        assert served_by_network == []  # every app file of the new page came from the new cache
    finally:
        context.close()
