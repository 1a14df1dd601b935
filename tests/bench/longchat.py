"""Long chats: opening, switching and scrolling chats of thousands of messages, and the page's
memory over many turns.

A 2,000-message chat and two 1,000-message chats are imported through the app's own "Import
data", then, in one page:
- open: a click on the chat in the sidebar to its newest message painted (the next frame);
- switch: back and forth between the two 1,000-message chats;
- scroll: from the newest message to the first, a screen at a time, counting main-thread tasks
  over 50 ms;
- memory: JS heap + the interpreter's wasm memory after boot, after 500 turns and after 500 more
  (scripted engine, short replies). Run with ``make bench``.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import traceback
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from app.models import ChatSession, Message, builtin_characters
from app.storage.chat_repo import EXPORT_FORMAT, EXPORT_VERSION
from tests.e2e.conftest import SCRIPTED_ENGINE
from tests.support.browser import launch_options
from tests.support.live_server import serve

MODEL = "Qwen3-0.6B-q4f32_1-MLC"
TURNS = int(sys.argv[1]) if __name__ == "__main__" and len(sys.argv) > 1 else 500
RUNS = 5
LONG_TASKS = """
() => {
  window.__longTasks = [];
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) window.__longTasks.push([entry.startTime, entry.duration]);
  }).observe({entryTypes: ['longtask']});
}
"""
WASM_MEMORIES = """
(() => {
  // Every wasm memory the page creates (the interpreter's above all), to read its size later.
  globalThis.__memories = [];
  const keep = (result) => {
    const instance = result.instance || result;
    for (const value of Object.values(instance.exports || {})) {
      if (value instanceof WebAssembly.Memory) globalThis.__memories.push(value);
    }
    return result;
  };
  for (const name of ['instantiate', 'instantiateStreaming']) {
    const original = WebAssembly[name];
    WebAssembly[name] = (...args) => original.apply(WebAssembly, args).then(keep);
  }
  const Memory = WebAssembly.Memory;
  WebAssembly.Memory = function (...args) {
    const memory = new Memory(...args);
    globalThis.__memories.push(memory);
    return memory;
  };
  WebAssembly.Memory.prototype = Memory.prototype;
})();
"""
MEMORY = """
async () => {
  const wasm = [...new Set(globalThis.__memories)].reduce((n, m) => n + m.buffer.byteLength, 0);
  return [performance.memory.usedJSHeapSize, wasm];
}
"""


def chat_export(sizes: dict[str, int]) -> dict[str, Any]:
    """An export holding one chat per title with that many messages of roleplay-like text."""
    character = builtin_characters()[0]
    sessions, messages = [], []
    for title, size in sizes.items():
        session = ChatSession.new(character.id, title=title)
        sessions.append(session.to_dict())
        for seq in range(size):
            role = "assistant" if seq % 2 == 0 else "user"
            text = (
                f"*{character.name} glances at the map.* Message {seq}: the wind turns "
                f"north-east, and the lanterns sway. **Hold on**, we're close.\n\nSecond "
                f"paragraph of message {seq}, with a little more to read."
            )
            messages.append(Message.new(session.id, role, text, seq=seq).to_dict())
    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "exportedAt": "2026-01-01T00:00:00.000Z",
        "characters": [],
        "sessions": sessions,
        "messages": messages,
        "settings": {},
    }


def open_chat(page: Page, title: str) -> float:
    """Milliseconds from the click on the chat titled ``title`` to its last message painted.

    The button is looked up at the moment of the click: the list may have been drawn again
    since the last open (a handle found earlier could be a detached button, whose click
    nobody hears).
    """
    return float(
        page.evaluate(
            """async (title) => {
              const button = [...document.querySelectorAll('#session-list li.session')]
                .find((item) => item.querySelector('.session-title')?.textContent === title)
                ?.querySelector('button.side-button');
              if (!button) throw new Error(`no chat titled ${title} in the list`);
              const started = performance.now();
              button.click();
              while (document.getElementById('chat-session-title').textContent !== title
                     || !document.querySelector('#chat article.message')) {
                if (performance.now() - started > 30000) throw new Error(`${title} did not open`);
                await new Promise((r) => setTimeout(r, 0));
              }
              await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
              return performance.now() - started;
            }""",
            title,
        )
    )


def scroll_to_top(page: Page) -> tuple[int, float, int]:
    """Scroll the open chat up a screen per frame to its first message; (long tasks, longest
    ms, messages rendered at the end)."""
    page.evaluate("window.__longTasks = []")
    page.evaluate(
        """async () => {
          const chat = document.getElementById('chat');
          for (let i = 0; i < 5000; i++) {
            chat.scrollTop = Math.max(0, chat.scrollTop - chat.clientHeight);
            await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
            if (chat.scrollTop === 0 && !chat.querySelector(':scope > .earlier')) break;
          }
        }"""
    )
    tasks = page.evaluate("window.__longTasks")
    rendered = page.locator("#chat article.message").count()
    return len(tasks), max((d for _, d in tasks), default=0.0), rendered


def memory(page: Page) -> list[int]:
    """[JS heap, wasm memory] in bytes, after a full garbage collection. The scripted engine
    keeps a copy of every request it was sent (for tests to inspect): not the app's memory, so
    that log is emptied first."""
    page.evaluate(
        "globalThis.__scriptedEngineLog && (globalThis.__scriptedEngineLog.requests = [])"
    )
    session = page.context.new_cdp_session(page)
    session.send("HeapProfiler.collectGarbage")
    session.detach()
    return list(page.evaluate(MEMORY))


REPLY_STORED = """
(text) => {
  // The newest two messages are this turn and its reply, drawn from storage (it has an id).
  const shown = document.querySelectorAll('#chat > article.message');
  const [turn, reply] = [shown[shown.length - 2], shown[shown.length - 1]];
  return Boolean(turn && reply && turn.matches('.user') && turn.textContent.includes(text)
    && reply.matches('.assistant[data-id]'));
}
"""


def turns(page: Page, count: int, start: int) -> None:
    """``count`` user turns, each waiting for its reply to be stored (not merely for the send
    button: it shows between the turn being drawn and the reply starting)."""
    for index in range(start, start + count):
        page.fill("#prompt", f"turn {index}")
        page.keyboard.press("Enter")
        page.wait_for_function(REPLY_STORED, arg=f"turn {index}")
        if index % 100 == 99:
            print(f"  {index + 1} turns", flush=True)


def main() -> None:
    export = chat_export({"Long 2000": 2000, "Half A": 1000, "Half B": 1000})
    with tempfile.TemporaryDirectory() as tmp, serve(Path(tmp)) as server, sync_playwright() as pw:
        file = Path(tmp) / "export.json"
        file.write_text(json.dumps(export))
        options = launch_options(webgpu=True)
        options["args"] = [*options["args"], "--enable-precise-memory-info"]
        browser = pw.chromium.launch(**options)
        context = browser.new_context()
        body = SCRIPTED_ENGINE.read_text()
        context.route(
            "**/runtime/web-llm/index.js",
            lambda route: route.fulfill(body=body, content_type="text/javascript"),
        )
        context.add_init_script(WASM_MEMORIES)
        context.add_init_script(
            "globalThis.__scriptedEngine = "
            + json.dumps({"reply": "Sure. *She nods.* Let's go on.", "tokenDelayMs": 0})
        )
        page = context.new_page()
        page.goto(server.url)
        page.wait_for_selector("#status[data-state=ready]", timeout=120_000)
        page.evaluate(LONG_TASKS)
        page.click("#settings-button")
        page.wait_for_selector("#settings-dialog[open]")
        page.set_input_files("#import-data", str(file))
        page.wait_for_selector("#settings-message:not([hidden])", timeout=120_000)
        print("import:", page.text_content("#settings-message"))
        page.keyboard.press("Escape")
        page.click(f"#character-list li.character[data-id='{builtin_characters()[0].id}'] button")
        page.wait_for_selector("#session-list li.session >> text='Long 2000'")
        opened, switched = [], []
        for _ in range(RUNS):
            opened.append(open_chat(page, "Long 2000"))
            switched.append(open_chat(page, "Half A"))
            switched.append(open_chat(page, "Half B"))
        open_chat(page, "Long 2000")
        scroll_tasks, scroll_longest, rendered = scroll_to_top(page)
        page.click("#model-button")
        page.click(f"#model-list li[data-model='{MODEL}'] button.load")
        page.wait_for_selector("#model-button[data-loaded=yes]", timeout=60_000)
        page.click("#new-chat")
        page.wait_for_timeout(500)
        booted = memory(page)
        turns(page, TURNS, 0)
        page.wait_for_timeout(1000)
        after_first = memory(page)
        turns(page, TURNS, TURNS)
        page.wait_for_timeout(1000)
        after_second = memory(page)
        browser.close()
    report(
        opened,
        switched,
        (scroll_tasks, scroll_longest, rendered),
        booted,
        after_first,
        after_second,
    )


def report(
    opened: list[float],
    switched: list[float],
    scrolled: tuple[int, float, int],
    booted: list[int],
    after_first: list[int],
    after_second: list[int],
) -> None:
    """One table, the goal beside each figure."""
    mib = 1024 * 1024
    print(f"long chats ({RUNS} runs, median; scripted engine)")
    print(f"open a 2,000-message chat: {statistics.median(opened):.0f} ms (goal <= 300)")
    print(
        f"switch between two 1,000-message chats: {statistics.median(switched):.0f} ms "
        f"(goal < 200), slowest {max(switched):.0f} ms"
    )
    tasks, longest, rendered = scrolled
    print(
        f"scroll the 2,000-message chat to its first message: {tasks} tasks over 50 ms "
        f"(goal 0), longest {longest:.0f} ms, {rendered} messages rendered at the top"
    )
    print(f"{'memory':26} {'JS heap MiB':>12} {'wasm MiB':>9} {'total MiB':>10}")
    for label, (heap, wasm) in (
        ("after boot", booted),
        (f"after {TURNS} turns", after_first),
        (f"after {2 * TURNS} turns", after_second),
    ):
        print(f"{label:26} {heap / mib:12.1f} {wasm / mib:9.1f} {(heap + wasm) / mib:10.1f}")
    first, second = sum(after_first), sum(after_second)
    print(
        f"growth over the second {TURNS} turns: {100 * (second - first) / first:.1f}% (goal < 20%)"
    )


if __name__ == "__main__":
    try:
        main()
    except Exception:  # noqa: BLE001 - say why at once; closing a stuck browser can hang
        traceback.print_exc()
        sys.stdout.flush()
        os._exit(1)
