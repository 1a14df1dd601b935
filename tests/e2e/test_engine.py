"""The on-device engine from the user's side: load, stream, stop, errors, one tab at a time."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.conftest import (
    RECORD_PROGRESS,
    RECORD_REPLY_LENGTHS,
    route_scripted_engine,
    wait_ready,
    watch_page,
)
from tests.support.live_server import LiveServer

MODEL = "Qwen3-0.6B-q4f32_1-MLC"


@pytest.fixture
def context(browser: Browser) -> Any:
    """A fresh context per test (storage, locks and channels are per context)."""
    context = browser.new_context(service_workers="block")
    yield context
    context.close()


def open_app(context: BrowserContext, url: str, engine: dict[str, Any] | None = None) -> Page:
    page = context.new_page()
    page.goto(url)
    wait_ready(page)
    return page


def load_model(page: Page, model_id: str = MODEL) -> None:
    page.click("#model-button")
    page.click(f"#model-list li[data-model='{model_id}'] button.load")


def steer(page: Page, **settings: Any) -> None:
    """Change the scripted engine's behaviour from now on."""
    page.evaluate("s => Object.assign(globalThis.__scriptedEngine ??= {}, s)", settings)


def test_load_shows_progress_to_100_then_streams_token_by_token(
    context: BrowserContext, live_server: LiveServer
) -> None:
    route_scripted_engine(context, {"loadSteps": 8, "loadStepMs": 40, "tokenDelayMs": 25})
    page = open_app(context, live_server.url)
    watch = watch_page(page)
    page.evaluate(RECORD_PROGRESS)
    load_model(page)
    expect(page.locator("#model-button")).to_have_attribute("data-loaded", "yes", timeout=20_000)
    expect(page.locator("#model-label")).to_have_text(MODEL)
    percents = page.evaluate("window.__percents")
    assert percents[-1] == 100
    assert len(set(percents)) >= 4, percents
    assert percents == sorted(percents)
    expect(page.locator("#load-panel")).to_be_hidden()

    page.evaluate(RECORD_REPLY_LENGTHS)
    page.fill("#prompt", "Hello")
    page.keyboard.press("Enter")
    expect(page.locator(".message.assistant")).to_have_count(2)  # the greeting, then the reply
    reply = page.locator(".message.assistant").last
    expect(reply).to_have_attribute("data-state", "done", timeout=20_000)
    lengths = page.evaluate("window.__lengths")
    assert len(set(lengths)) >= 5, lengths  # grew over many frames, not all at once
    assert lengths == sorted(lengths)
    expect(reply.locator(".content")).to_have_text(
        "Hello! I am a scripted engine. This reply streams one token at a time."
    )
    expect(reply.locator(".stats")).to_contain_text("tok/s")
    assert page.locator(".message.user .content").last.inner_text() == "Hello"
    assert watch.errors == []


def test_stop_keeps_the_partial_reply(context: BrowserContext, live_server: LiveServer) -> None:
    tokens = [f"word{i} " for i in range(400)]
    route_scripted_engine(context, {"tokens": tokens, "tokenDelayMs": 15, "loadSteps": 2})
    page = open_app(context, live_server.url)
    load_model(page)
    expect(page.locator("#model-button")).to_have_attribute("data-loaded", "yes")
    page.fill("#prompt", "Tell me a long story")
    page.keyboard.press("Enter")
    expect(page.locator(".message.assistant")).to_have_count(2)
    reply = page.locator(".message.assistant").last
    expect(reply.locator(".content")).to_contain_text("word5")
    expect(page.locator("#chat")).to_have_attribute("aria-busy", "true")
    page.click("#stop")
    expect(reply).to_have_attribute("data-state", "stopped")
    expect(page.locator("#chat")).to_have_attribute("aria-busy", "false")
    expect(page.locator("#reply-announcer")).to_contain_text("reply, stopped: word0 word1")
    text = reply.locator(".content").inner_text()
    assert text.startswith("word0 word1")
    assert "word399" not in text
    expect(page.locator("#send")).to_be_visible()
    expect(page.locator("#stop")).to_be_hidden()
    assert page.evaluate("globalThis.__scriptedEngineLog.interrupts") == 1
    expect(reply.locator(".stopped-label")).to_have_text("Stopped")
    # Escape stops too, and the conversation carries on after a stop.
    page.fill("#prompt", "again")
    page.keyboard.press("Enter")
    expect(page.locator(".message.assistant")).to_have_count(3)
    second = page.locator(".message.assistant").last
    expect(second.locator(".content")).to_contain_text("word3")
    page.keyboard.press("Escape")
    expect(page.locator(".message.assistant").last).to_have_attribute("data-state", "stopped")
    sent = page.evaluate("globalThis.__scriptedEngineLog.requests.at(-1).messages")
    assert [m["role"] for m in sent][-3:] == ["user", "assistant", "user"]
    assert sent[0]["role"] == "system"
    assert sent[-2]["content"].strip() == text


def test_a_device_lost_while_replying_unloads_and_the_reply_can_be_retried(
    context: BrowserContext, live_server: LiveServer
) -> None:
    route_scripted_engine(context, {"loadSteps": 2})
    page = open_app(context, live_server.url)
    watch = watch_page(page)
    load_model(page)
    expect(page.locator("#model-button")).to_have_attribute("data-loaded", "yes")
    steer(page, generateError="device-lost")
    page.fill("#prompt", "Are you there?")
    page.keyboard.press("Enter")
    banner = page.locator("#engine-banner")
    expect(banner).to_have_attribute("data-error", "device_lost")
    expect(page.locator("#model-button")).to_have_attribute("data-loaded", "no")
    expect(page.locator("#prompt")).to_be_disabled()
    user = page.locator(".message.user").last
    expect(user.locator(".content")).to_have_text("Are you there?")
    expect(user.locator("button.retry")).to_be_visible()
    steer(page, generateError=None)
    banner.locator("button.retry").click()
    expect(page.locator("#model-button")).to_have_attribute("data-loaded", "yes")
    user.locator("button.retry").click()
    expect(page.locator(".message.assistant")).to_have_count(2)
    expect(page.locator(".message.assistant").last).to_have_attribute("data-state", "done")
    expect(page.locator(".message.user button.retry")).to_have_count(0)
    assert page.locator(".message.user").count() == 1  # retried, not sent again
    assert not [e for e in watch.errors if e.startswith("uncaught")]


def test_copy_puts_the_shown_version_on_the_clipboard(
    context: BrowserContext, live_server: LiveServer
) -> None:
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    route_scripted_engine(context, {"loadSteps": 2, "reply": "**Tea** is ready."})
    page = open_app(context, live_server.url)
    load_model(page)
    page.fill("#prompt", "Tea?")
    page.keyboard.press("Enter")
    reply = page.locator(".message.assistant").last
    expect(reply).to_have_attribute("data-state", "done")
    expect(page.locator("#reply-announcer")).to_have_text(re.compile(r"replied: Tea is ready\.$"))
    reply.locator("button.copy").click()
    expect(reply.locator("button.copy")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == "**Tea** is ready."


@pytest.mark.parametrize(
    ("failure", "kind", "words"),
    [
        pytest.param("fetch", "fetch_failed", "Could not download", id="fetch-failed"),
        pytest.param("oom", "out_of_memory", "ran out of memory", id="out-of-memory"),
        pytest.param("device-lost", "device_lost", "device lost", id="device-lost"),
        pytest.param("quota", "quota_exceeded", "storage is full", id="quota"),
    ],
)
def test_load_errors_are_explained_and_the_app_recovers(
    context: BrowserContext, live_server: LiveServer, failure: str, kind: str, words: str
) -> None:
    route_scripted_engine(context, {"loadError": failure, "loadSteps": 4})
    page = open_app(context, live_server.url)
    watch = watch_page(page)
    load_model(page)
    banner = page.locator("#engine-banner")
    expect(banner).to_have_attribute("data-error", kind)
    expect(banner).to_contain_text(words)
    assert "Traceback" not in banner.inner_text()
    expect(page.locator("#load-panel")).to_be_hidden()
    steer(page, loadError=None)
    banner.locator("button.retry").click()
    expect(page.locator("#model-button")).to_have_attribute("data-loaded", "yes")
    expect(banner).to_be_hidden()
    page.fill("#prompt", "still there?")
    page.keyboard.press("Enter")
    expect(page.locator(".message.assistant")).to_have_count(2)
    expect(page.locator(".message.assistant").last).to_have_attribute("data-state", "done")
    expect(page.locator(".message.assistant").last.locator(".content")).to_contain_text(
        "scripted engine"
    )
    assert not [e for e in watch.errors if e.startswith("uncaught")]


def test_cancel_load(context: BrowserContext, live_server: LiveServer) -> None:
    route_scripted_engine(context, {"loadSteps": 50, "loadStepMs": 100})
    page = open_app(context, live_server.url)
    load_model(page)
    expect(page.locator("#load-panel")).to_be_visible()
    page.click("#load-cancel")
    expect(page.locator("#load-panel")).to_be_hidden()
    expect(page.locator("#model-button")).to_have_attribute("data-loaded", "no")
    expect(page.locator("#status")).to_contain_text("cancelled")


def test_one_tab_holds_the_engine_and_takeover_works(
    context: BrowserContext, live_server: LiveServer
) -> None:
    route_scripted_engine(context, {"loadSteps": 2})
    first = open_app(context, live_server.url)
    load_model(first)
    expect(first.locator("#model-button")).to_have_attribute("data-loaded", "yes")

    second = open_app(context, live_server.url)
    banner = second.locator("#engine-banner")
    expect(banner).to_have_attribute("data-state", "other-tab")
    expect(second.locator("#prompt")).to_be_disabled()
    # (no log yet: WebLLM's module is imported on first use, so nothing was loaded either)
    loads_before = second.evaluate("(globalThis.__scriptedEngineLog?.loads ?? []).length")
    assert loads_before == 0

    banner.locator("button.use-here").click()
    expect(second.locator("#model-button")).to_have_attribute("data-loaded", "yes")
    expect(second.locator("#model-label")).to_have_text(MODEL)
    expect(first.locator("#engine-banner")).to_have_attribute("data-state", "moved")
    expect(first.locator("#model-button")).to_have_attribute("data-loaded", "no")
    assert first.evaluate("globalThis.__scriptedEngineLog.unloads") >= 1
    held = second.evaluate("async () => (await navigator.locks.query()).held.length")
    assert held == 1

    second.close()  # closing the holder frees the lock: the first tab takes the model back
    expect(first.locator("#model-button")).to_have_attribute("data-loaded", "yes")
    expect(first.locator("#engine-banner")).to_be_hidden()


def test_real_webllm_marks_f16_models_unavailable_on_swiftshader(
    page: Page, live_server: LiveServer
) -> None:
    page.goto(live_server.url)
    wait_ready(page)
    page.click("#model-button")
    expect(page.locator("#model-list li[data-model='Qwen3-4B-q4f16_1-MLC']")).to_have_count(0)
    page.check("#show-unavailable")
    row = page.locator("#model-list li[data-model='Qwen3-4B-q4f16_1-MLC']")
    expect(row).to_have_attribute("data-available", "no")
    expect(row.locator(".model-reason")).to_contain_text("shader-f16")
    expect(row.locator("button.load")).to_be_disabled()
    usable = page.locator("#model-list li[data-model='Qwen3-4B-q4f32_1-MLC']")
    expect(usable).to_have_attribute("data-available", "yes")
    expect(page.locator("#model-list li .tag.accent")).to_have_count(1)


def test_the_model_picker_groups_searches_and_filters_webllms_list(
    page: Page, live_server: LiveServer
) -> None:
    page.goto(live_server.url)
    wait_ready(page)
    page.click("#model-button")
    families = page.locator("#model-list .model-family")
    expect(families.first).to_be_visible()
    names = families.locator(".model-family-name").all_inner_texts()
    assert names[0] == "Qwen3"  # the recommended model's family
    assert len(names) == len(set(names)) > 5
    qwen3 = families.first.locator(".model-row")
    assert all(
        m.startswith("Qwen3-") for m in qwen3.evaluate_all("r => r.map(n => n.dataset.model)")
    )
    expect(qwen3.first.locator(".model-meta")).to_contain_text("GB download")
    # chat models only until asked: no coding, maths or 1k-window builds
    shown = page.locator("#model-list .model-row").evaluate_all("r => r.map(n => n.dataset.model)")
    assert not [m for m in shown if "Coder" in m or "Math" in m or m.endswith("-1k")]
    page.check("#show-special")
    coder = page.locator("#model-list li[data-model='Qwen2.5-Coder-0.5B-Instruct-q4f32_1-MLC']")
    expect(coder.locator(".tag.kind")).to_have_text("Coding")
    short = page.locator("#model-list li[data-model='TinyLlama-1.1B-Chat-v1.0-q4f32_1-MLC-1k']")
    expect(short.locator(".tag.warn")).to_contain_text("16k")
    # search narrows to every word typed
    page.fill("#model-search", "llama 3.2 1b")
    rows = page.locator("#model-list .model-row")
    expect(rows.first).to_be_visible()
    found = rows.evaluate_all("r => r.map(n => n.dataset.model)")
    assert found
    assert all("Llama-3.2-1B" in m for m in found), found
    page.fill("#model-search", "no such model")
    expect(page.locator("#model-list .model-empty")).to_contain_text("no such model")
    # the filters come right after the search box, not after the list
    page.focus("#model-search")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "show-unavailable"


@pytest.mark.parametrize(
    ("offline", "kind", "words"),
    [
        pytest.param(False, "fetch_failed", "Could not download", id="network-unreachable"),
        pytest.param(True, "offline_not_cached", "You are offline", id="browser-offline"),
    ],
)
def test_real_webllm_download_without_network_says_so(
    context: BrowserContext, live_server: LiveServer, offline: bool, kind: str, words: str
) -> None:
    """The real module tries Hugging Face; with no network the user gets a clear sentence."""
    context.route("https://**/*", lambda route: route.abort("internetdisconnected"))
    page = open_app(context, live_server.url)
    watch = watch_page(page)
    if offline:
        context.set_offline(True)
    load_model(page)
    banner = page.locator("#engine-banner")
    expect(banner).to_have_attribute("data-error", kind, timeout=30_000)
    expect(banner).to_contain_text(words)
    expect(page.locator("#load-panel")).to_be_hidden()
    assert not [e for e in watch.errors if e.startswith("uncaught")]
