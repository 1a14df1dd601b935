"""The real engine in the loop: real WebLLM, its real worker, and the tiny model `make tiny-model` builds.

The server serves the tiny model as a custom preset (``PRESETS_FILE``) through the model
mirror setting (``MODEL_MIRROR_BASE_URL``), pointed at a loopback mirror in Hugging Face
layout: WebLLM downloads, caches and runs it as it would a Hugging Face model. Nothing here is
scripted; the model's text is noise (random weights), so the tests assert behaviour, never text.

The tests are steps of one user's visit in one browser profile (the model cache and service
worker carry over, and every load compiles ~70 shaders on the CPU), so they run in order and
each names what it starts from. Loads: the first download, a reload, and an offline reload.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from app.i18n import translate
from app.presets import build_app_config
from app.progress import human_size
from tests.e2e.conftest import (
    RECORD_PROGRESS,
    RECORD_REPLY_LENGTHS,
    PageWatch,
    register,
    server_log,
    wait_ready,
    watch_page,
)
from tests.support.live_server import LiveServer, serve
from tests.support.model_mirror import ModelMirror, serve_mirror, tiny_preset

pytestmark = pytest.mark.real_engine

LOAD_TIMEOUT = 240_000
REPLY_TIMEOUT = 240_000
SEED = 4242
IN_CACHE = """
async ([modelId, appConfig]) => {
  const webllm = await import('/runtime/web-llm/index.js');
  return await webllm.hasModelInCache(modelId, appConfig);
}
"""


@dataclass
class Visit:
    """The one user's browser profile and what the steps leave for the next."""

    context: BrowserContext
    server: LiveServer
    mirror: ModelMirror
    model_id: str
    page: Page | None = None
    watch: PageWatch | None = None
    username: str = ""
    notes: dict[str, Any] = field(default_factory=dict)

    def open(self) -> Page:
        self.page = self.context.new_page()
        self.watch = watch_page(self.page)
        self.page.goto(self.server.url)
        wait_ready(self.page)
        return self.page


@pytest.fixture(scope="module")
def visit(browser: Browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Visit]:
    preset = tiny_preset()
    data = tmp_path_factory.mktemp("real-engine")
    presets = data / "presets.json"
    presets.write_text(json.dumps([preset]))
    with serve_mirror() as mirror:
        env = {
            "PRESETS_FILE": str(presets),
            "MODEL_MIRROR_BASE_URL": mirror.url,
            "AUTH_RATE_LIMIT_PER_MINUTE": "100000",
            "RATE_LIMIT_PER_MINUTE": "100000",
        }
        with serve(data, env) as server:
            context = browser.new_context(service_workers="allow")
            try:
                yield Visit(context, server, mirror, str(preset["model_id"]))
            finally:
                context.close()


def pick_model(page: Page, model_id: str) -> None:
    page.click("#model-button")
    page.click(f"#model-list li[data-model='{model_id}'] button.load")
    expect(page.locator("#model-button")).to_have_attribute(
        "data-loaded", "yes", timeout=LOAD_TIMEOUT
    )


def send(page: Page, text: str) -> None:
    page.fill("#prompt", text)
    page.keyboard.press("Enter")


def last_reply(page: Page) -> Any:
    return page.locator(".message.assistant").last


def wait_reply_saved(page: Page, replies_before: int) -> None:
    """The streaming view gave way to the stored message (done or stopped)."""
    expect(page.locator(".message.assistant")).to_have_count(replies_before + 1)
    expect(last_reply(page)).to_have_attribute(
        "data-state", re.compile("^(done|stopped)$"), timeout=REPLY_TIMEOUT
    )
    expect(last_reply(page)).to_have_attribute("data-id", re.compile("."))


def choose_settings(page: Page, *, seed: int) -> None:
    """Short replies (the tiny model rarely stops by itself) and a fixed sampling seed."""
    page.click("#settings-button")
    page.select_option("#settings-form [name=reply_length]", "short")
    page.fill("#settings-form [name=seed]", str(seed))
    page.click("#settings-form button[value=save]")
    expect(page.locator("#settings-dialog")).not_to_be_visible()


def test_first_load_downloads_the_model_with_real_progress(visit: Visit) -> None:
    """From nothing: the picker lists the preset; loading fetches every artifact from the mirror."""
    page = visit.open()
    visit.username = register(page)
    page.keyboard.press("Escape")  # close the account sheet
    choose_settings(page, seed=SEED)
    page.evaluate(RECORD_PROGRESS)

    pick_model(page, visit.model_id)

    percents = page.evaluate("window.__percents")
    assert percents[-1] == 100, percents
    assert len(set(percents)) >= 3, percents
    assert percents == sorted(percents), percents
    fetched = {path.rsplit("/", 1)[-1] for path in visit.mirror.seen()}
    lib = str(tiny_preset()["model_lib"]).rsplit("/", 1)[-1]
    assert {"mlc-chat-config.json", "tensor-cache.json", "tokenizer.json", lib} <= fetched
    assert any(name.startswith("params_shard_") for name in fetched), fetched
    expect(page.locator("#model-label")).to_have_text(visit.model_id)
    assert visit.watch is not None
    assert visit.watch.external_requests() == []
    assert visit.watch.errors == []


def test_a_turn_streams_real_tokens_and_is_saved_and_logged(visit: Visit) -> None:
    """Loaded: a reply streams into the DOM, shows real speeds, and reaches the account."""
    page = visit.page
    assert page is not None
    page.evaluate(RECORD_REPLY_LENGTHS)
    send(page, "Hello! Who are you?")
    wait_reply_saved(page, 1)

    lengths = page.evaluate("window.__lengths")
    assert len(set(lengths)) >= 5, lengths  # token by token
    assert lengths == sorted(lengths), lengths
    reply = last_reply(page)
    assert reply.locator(".content").inner_text().strip()
    stats = reply.locator(".stats")
    assert float(stats.get_attribute("data-decode") or 0) > 0
    assert float(stats.get_attribute("data-prefill") or 0) > 0
    assert 0 < int(stats.get_attribute("data-tokens") or 0) <= 256  # the "short" budget
    assert re.search(r"\d+(\.\d)? tok/s · prefill \d+(\.\d)? tok/s", stats.inner_text())
    expect(page.locator("#sync-indicator")).to_have_attribute("data-sync", "synced", timeout=45_000)
    logged = server_log(visit.server, visit.username)
    assert [role for role, _seq, _text in logged] == ["assistant", "user", "assistant"]
    assert logged[1][2] == "Hello! Who are you?"
    assert logged[2][2].strip()  # the reply's raw text, as generated
    visit.notes["reply_id"] = reply.get_attribute("data-id")


def test_regenerate_makes_a_swipe_and_a_seed_repeats_the_reply(visit: Visit) -> None:
    """The same prompt and seed (set in Settings) stream the same text again, as swipe 2/2."""
    page = visit.page
    assert page is not None
    first = last_reply(page).locator(".content").inner_text()
    last_reply(page).locator("button.regenerate").click()
    expect(last_reply(page)).to_have_attribute("data-swipe", "2/2", timeout=REPLY_TIMEOUT)
    wait_reply_saved(page, 1)

    second = last_reply(page).locator(".content").inner_text()
    assert second == first
    last_reply(page).locator("button.prev").click()
    expect(last_reply(page)).to_have_attribute("data-swipe", "1/2")
    assert last_reply(page).locator(".content").inner_text() == first


def test_stop_interrupts_mid_stream(visit: Visit) -> None:
    """Stop ends the reply at once; what streamed so far is kept as a stopped message."""
    page = visit.page
    assert page is not None
    send(page, "Tell me a long story.")
    streaming = page.locator(".message.assistant[data-state=streaming] .content")
    page.wait_for_function(
        "() => (document.querySelector('.message.assistant[data-state=streaming] .content')"
        "?.textContent.length ?? 0) > 10",
        timeout=REPLY_TIMEOUT,
    )
    assert streaming.count() == 1
    page.click("#stop")
    wait_reply_saved(page, 2)

    expect(last_reply(page)).to_have_attribute("data-state", "stopped")
    tokens = int(last_reply(page).locator(".stats").get_attribute("data-tokens") or 0)
    assert 0 < tokens < 256
    expect(page.locator("#send")).to_be_visible()


def test_a_prompt_longer_than_the_context_window_gives_the_clear_error(visit: Visit) -> None:
    """Hangul is one byte-level token per UTF-8 byte in the tiny vocabulary: 6,000 syllables are
    ~18,000 tokens, past 16,384, though the app's estimate lets them through; WebLLM refuses."""
    page = visit.page
    assert page is not None
    send(page, "가나다라마바사아자차" * 600)

    banner = page.locator("#engine-banner")
    expect(banner).to_have_attribute("data-error", "context_too_long", timeout=REPLY_TIMEOUT)
    expect(banner).to_contain_text(translate("engine.error.context_too_long", "en"))
    long_message = page.locator(".message.user").last
    expect(long_message).to_contain_text("가나다라")  # kept
    expect(page.locator("#prompt")).to_be_enabled()
    # The error's advice: delete the message (else every later turn would carry it again).
    page.once("dialog", lambda dialog: dialog.accept())
    long_message.locator("button.delete").click()
    expect(page.locator(".message.user", has_text="가나다라")).to_have_count(0)


def test_a_reload_loads_from_the_cache_with_no_model_request(visit: Visit) -> None:
    """Cached: after a reload the picker marks the model downloaded and loading fetches nothing."""
    page = visit.page
    assert page is not None
    before = len(visit.mirror.seen())
    page.reload()
    wait_ready(page)
    expect(page.locator(f"article[data-id='{visit.notes['reply_id']}']")).to_have_count(1)
    page.click("#model-button")
    expect(
        page.locator(f"#model-list li[data-model='{visit.model_id}'] [data-cached=yes]")
    ).to_have_count(1)
    page.click(f"#model-list li[data-model='{visit.model_id}'] button.load")
    expect(page.locator("#model-button")).to_have_attribute(
        "data-loaded", "yes", timeout=LOAD_TIMEOUT
    )

    assert visit.mirror.seen()[before:] == []


def test_a_second_tab_never_runs_a_second_engine(visit: Visit) -> None:
    """Loaded in tab one: tab two says so, offers "Use it here", and loads nothing itself."""
    before = len(visit.mirror.seen())
    second = visit.context.new_page()
    second.goto(visit.server.url)
    wait_ready(second)

    expect(second.locator("#engine-banner")).to_have_attribute("data-state", "other-tab")
    expect(second.locator("#engine-banner .use-here")).to_be_visible()
    expect(second.locator("#prompt")).to_be_disabled()
    expect(second.locator("#model-button")).to_have_attribute("data-loaded", "no")
    held = second.evaluate(
        "async () => (await navigator.locks.query()).held.map(l => l.name)"
        ".filter(n => n === 'character-chat-engine').length"
    )
    assert held == 1
    assert visit.mirror.seen()[before:] == []
    second.close()
    assert visit.page is not None
    expect(visit.page.locator("#model-button")).to_have_attribute("data-loaded", "yes")


def test_a_page_opened_offline_chats_with_the_cached_model(visit: Visit) -> None:
    """Offline, the service worker serves the app and WebLLM runs the model from its cache."""
    page = visit.page
    assert page is not None
    page.wait_for_function(
        "navigator.serviceWorker && navigator.serviceWorker.controller !== null", timeout=60_000
    )
    visit.context.set_offline(True)
    try:
        page.reload()
        wait_ready(page)
        replies = page.locator(".message.assistant").count()
        pick_model(page, visit.model_id)
        send(page, "Still there?")
        page.wait_for_function(
            "() => (document.querySelector('.message.assistant[data-state=streaming] .content')"
            "?.textContent.length ?? 0) > 10",
            timeout=REPLY_TIMEOUT,
        )
        page.click("#stop")
        wait_reply_saved(page, replies)
        expect(page.locator("#sync-indicator")).to_have_attribute("data-sync", "offline")
    finally:
        visit.context.set_offline(False)
    expect(page.locator("#sync-indicator")).to_have_attribute("data-sync", "synced", timeout=60_000)


def test_storage_shows_the_real_size_and_delete_empties_the_cache(visit: Visit) -> None:
    """The storage panel lists the cached model at its real size; Delete really removes it."""
    page = visit.page
    assert page is not None
    page.click("#storage-button")
    row = page.locator(f"#cached-list li[data-model='{visit.model_id}']")
    expect(row).to_have_count(1)
    # What WebLLM downloaded (it skips tokenizer_config.json), byte for byte, and nothing more.
    fetched = {path for path in visit.mirror.seen() if path.startswith("/local/")}
    downloaded = sum((visit.mirror.root / path.lstrip("/")).stat().st_size for path in fetched)
    assert int(row.get_attribute("data-bytes") or 0) == downloaded
    expect(row.locator(".model-meta")).to_have_text(human_size(downloaded))

    asked: list[str] = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    row.locator("button.danger").click()
    expect(row).to_have_count(1)  # said no: still there
    assert asked
    assert visit.model_id in asked[0]
    page.once("dialog", lambda dialog: dialog.accept())
    row.locator("button.danger").click()

    expect(row).to_have_count(0)
    expect(page.locator("#cached-list li.empty")).to_have_count(1)
    # The AppConfig the page runs with, built by the same code (the mirror rewrites the URLs).
    config = build_app_config([], [tiny_preset()], mirror=visit.mirror.url)
    assert page.evaluate(IN_CACHE, [visit.model_id, config]) is False
    expect(page.locator("#model-button")).to_have_attribute("data-loaded", "no")
