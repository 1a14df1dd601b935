"""What the page holds does not grow with use: event listeners, memory, IndexedDB reads.

Re-rendering (switching chats, sending) must not add listeners or proxies (one delegated
listener per region), and the sidebar lists chats from their records alone (each session
keeps its preview line), without reading any other chat's messages.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, CDPSession, Page, expect

from tests.e2e.conftest import route_scripted_engine, wait_ready
from tests.support.live_server import LiveServer

MODEL = "Qwen3-0.6B-q4f32_1-MLC"

#: Every wasm memory the page creates (the interpreter's), and every IndexedDB index read.
INSTRUMENT = """
  globalThis.__memories = [];
  const Memory = WebAssembly.Memory;
  WebAssembly.Memory = function (...args) {
    const memory = new Memory(...args);
    globalThis.__memories.push(memory);
    return memory;
  };
  WebAssembly.Memory.prototype = Memory.prototype;
  globalThis.__indexReads = [];
  const getAll = IDBIndex.prototype.getAll;
  IDBIndex.prototype.getAll = function (query, ...rest) {
    const value = query instanceof IDBKeyRange ? query.lower : query;
    globalThis.__indexReads.push([this.objectStore.name, this.name, String(value)]);
    return getAll.call(this, query, ...rest);
  };
"""


def listeners(cdp: CDPSession) -> int:
    """Event listeners on the window, the document and every element."""
    handle = cdp.send(
        "Runtime.evaluate", {"expression": "[window, document, ...document.querySelectorAll('*')]"}
    )["result"]["objectId"]
    total = 0
    for prop in cdp.send("Runtime.getProperties", {"objectId": handle, "ownProperties": True})[
        "result"
    ]:
        if prop["name"].isdigit():
            found = cdp.send(
                "DOMDebugger.getEventListeners", {"objectId": prop["value"]["objectId"]}
            )
            total += len(found["listeners"])
    cdp.send("Runtime.releaseObject", {"objectId": handle})
    return total


def memory(page: Page, cdp: CDPSession) -> tuple[int, int]:
    """(JS heap, wasm memory) in bytes after a full garbage collection."""
    cdp.send("HeapProfiler.collectGarbage")
    heap, wasm = page.evaluate(
        "[performance.memory.usedJSHeapSize,"
        " [...new Set(globalThis.__memories)].reduce((n, m) => n + m.buffer.byteLength, 0)]"
    )
    return int(heap), int(wasm)


def send(page: Page, text: str) -> None:
    """Send ``text`` and wait until its reply is stored (the streamed view, which has no
    ``data-id``, gives way to the stored message only once the write is done)."""
    asked = page.evaluate("globalThis.__scriptedEngineLog?.requests.length ?? 0")
    page.fill("#prompt", text)
    page.keyboard.press("Enter")
    page.wait_for_function(f"globalThis.__scriptedEngineLog.requests.length > {asked}")
    expect(page.locator("#chat .message.assistant[data-state=streaming]")).to_have_count(0)
    expect(page.locator("#chat .message.assistant:not([data-id])")).to_have_count(0)
    expect(page.locator("#prompt")).to_be_enabled()


def new_chat(page: Page) -> None:
    page.click("#new-chat")
    expect(page.locator("#chat .message")).to_have_count(1)  # the greeting


@pytest.fixture
def instrumented(browser: Browser, live_server: LiveServer) -> Any:
    context = browser.new_context()
    route_scripted_engine(context, {"tokenDelayMs": 0, "reply": "A short reply."})
    context.add_init_script(INSTRUMENT)
    page = context.new_page()
    page.goto(live_server.url)
    wait_ready(page)
    page.click("#model-button")
    page.click(f"#model-list li[data-model='{MODEL}'] button.load")
    expect(page.locator("#model-button")).to_have_attribute("data-loaded", "yes")
    yield page, context.new_cdp_session(page)
    context.close()


def test_listeners_and_memory_stay_flat_over_200_renders_and_100_messages(
    instrumented: tuple[Page, CDPSession],
) -> None:
    page, cdp = instrumented
    send(page, "first chat")
    new_chat(page)
    send(page, "second chat")
    chats = page.locator("#session-list [data-action=pick]")
    expect(chats).to_have_count(2)
    for index in range(4):  # warm up: every view has rendered once
        chats.nth(index % 2).click()
    expect(page.locator("#chat .message.user")).to_have_count(1)
    base_listeners = listeners(cdp)
    base_heap, base_wasm = memory(page, cdp)

    for index in range(200):  # each switch re-renders the chat and the sidebar
        chats.nth(index % 2).click()
    expect(page.locator("#session-list [aria-current=true] .session-last")).to_be_visible()
    after_renders = listeners(cdp)
    heap_renders, wasm_renders = memory(page, cdp)

    for index in range(100):
        send(page, f"message {index}")
    after_messages = listeners(cdp)
    heap_messages, wasm_messages = memory(page, cdp)

    print(
        f"listeners {base_listeners} -> {after_renders} -> {after_messages}; JS heap MiB "
        f"{base_heap / 2**20:.1f} -> {heap_renders / 2**20:.1f} -> {heap_messages / 2**20:.1f};"
        f" wasm MiB {base_wasm / 2**20:.1f} -> {wasm_renders / 2**20:.1f}"
        f" -> {wasm_messages / 2**20:.1f}"
    )
    assert after_renders == base_listeners
    assert after_messages == base_listeners
    assert wasm_renders <= base_wasm * 1.05  # the interpreter's memory: no proxies pile up
    assert heap_renders <= base_heap * 1.10
    # 100 turns more history (the view keeps at most 100 messages of it): growth stays small
    assert wasm_messages <= base_wasm * 1.10
    assert heap_messages <= base_heap * 1.25


def _message_reads(page: Page) -> set[str]:
    """The sessions whose messages were read from IndexedDB (by the sessionId index)."""
    reads = page.evaluate("globalThis.__indexReads")
    return {value for store, index, value in reads if store == "messages"}


def test_the_sidebar_reads_no_other_chats_messages(instrumented: tuple[Page, CDPSession]) -> None:
    page, _ = instrumented
    for index in range(3):
        if index:
            new_chat(page)
        send(page, f"chat number {index}")
    page.reload()  # a fresh page: nothing remembered but what IndexedDB holds
    wait_ready(page)
    chats = page.locator("#session-list [data-action=pick]")
    expect(chats).to_have_count(3)
    lines = page.locator("#session-list .session-last")
    expect(lines.first).to_have_text("A short reply.")
    current = page.locator("#session-list [aria-current=true]").get_attribute("data-id")
    assert _message_reads(page) <= {current}  # at start: only the chat that opens
    page.evaluate("globalThis.__indexReads.length = 0")
    chats.nth(2).click()
    picked = page.locator("#session-list li.session").nth(2).get_attribute("data-id")
    expect(page.locator("#session-list [aria-current=true]")).to_have_attribute(
        "data-id", picked or ""
    )
    assert _message_reads(page) <= {picked}  # a switch: only the chat being opened
    expect(lines).to_have_count(3)
    assert all(text == "A short reply." for text in lines.all_inner_texts())
