"""Streaming benchmark: tokens/s through the Python pipeline vs a plain-JS consumer.

The scripted engine emits 5,000 tokens as fast as it can. Side by side in one page:
- Python: the real app (engine wrapper, per-frame batches from web/engine-glue.js, DOM writes,
  the final markdown render), timed from pressing Enter to the reply's ``data-state=done``;
- JS: a plain ``for await`` loop over the same scripted engine appending to a text node.
Main-thread long tasks (PerformanceObserver) are counted while the Python pipeline streams.
Then the real-engine row (``tests/bench/real_engine.py``): the tiny real model through the app
vs a bare page driving the same WebLLM build. Run with ``make bench``.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench import real_engine  # noqa: E402
from tests.e2e.conftest import SCRIPTED_ENGINE  # noqa: E402
from tests.support.browser import launch_options  # noqa: E402
from tests.support.live_server import serve  # noqa: E402

TOKENS = 5000
RUNS = 5
MODEL = "Qwen3-0.6B-q4f32_1-MLC"

OBSERVE = """
() => {
  window.__longTasks = [];
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) window.__longTasks.push([entry.startTime, entry.duration]);
  }).observe({entryTypes: ['longtask']});
  window.__marks = [];
  new MutationObserver((records) => {
    for (const r of records) {
      if (r.type === 'attributes' && r.target.matches('.message.assistant')) {
        window.__marks.push([r.target.getAttribute('data-state'), performance.now()]);
      }
      if (r.type === 'characterData' || r.type === 'childList') window.__lastText = performance.now();
    }
  }).observe(document.getElementById('chat'),
             {subtree: true, attributes: true, attributeFilter: ['data-state'], characterData: true, childList: true});
}
"""

JS_CONSUMER = """
async (tokens) => {
  const webllm = await import('/runtime/web-llm/index.js');
  const engine = await webllm.CreateMLCEngine('x');
  const node = document.createTextNode('');
  document.body.appendChild(node);
  const started = performance.now();
  const stream = await engine.chat.completions.create({messages: [{role: 'user', content: 'go'}],
    stream: true, stream_options: {include_usage: true}});
  let count = 0;
  for await (const chunk of stream) {
    for (const choice of chunk.choices) {
      if (choice.delta.content) { node.appendData(choice.delta.content); count += 1; }
    }
  }
  const elapsed = performance.now() - started;
  node.remove();
  return [elapsed, count];
}
"""


def python_run(page: Page, index: int) -> tuple[float, float, list[list[float]]]:
    """One reply through the app; returns (ms to done, same, long tasks while streaming)."""
    page.evaluate("window.__marks = []; window.__longTasks = [];")
    page.fill("#prompt", f"run {index}")
    started = page.evaluate("performance.now()")
    page.keyboard.press("Enter")
    # The chat opens with the character's greeting, so this run's reply is assistant #index+1.
    reply = page.locator(".message.assistant").nth(index + 1)
    reply.and_(page.locator("[data-state=done]")).wait_for(timeout=120_000)
    page.wait_for_function("window.__marks.some(m => m[0] === 'done')")
    marks = page.evaluate("window.__marks")
    done = next(t for state, t in marks if state == "done")
    tasks = [t for t in page.evaluate("window.__longTasks") if t[0] >= started]
    return done - started, done - started, tasks


def main() -> None:
    tokens = [f"w{i} " for i in range(TOKENS)]
    with tempfile.TemporaryDirectory() as tmp, serve(Path(tmp)) as server, sync_playwright() as pw:
        browser = pw.chromium.launch(**launch_options(webgpu=True))
        context = browser.new_context()
        body = SCRIPTED_ENGINE.read_text()
        context.route(
            "**/runtime/web-llm/index.js",
            lambda route: (
                route.continue_()
                if "?real" in route.request.url
                else route.fulfill(body=body, content_type="text/javascript")
            ),
        )
        context.add_init_script(
            "globalThis.__scriptedEngine = "
            + json.dumps({"tokens": tokens, "tokenDelayMs": 0, "loadSteps": 1})
        )
        page = context.new_page()
        page.goto(server.url)
        page.wait_for_selector("#status[data-state=ready]", timeout=120_000)
        page.click("#model-button")
        page.click(f"#model-list li[data-model='{MODEL}'] button.load")
        page.wait_for_selector("#model-button[data-loaded=yes]", timeout=60_000)
        page.evaluate(OBSERVE)
        python_ms, js_ms, long_tasks = [], [], []
        for index in range(RUNS):
            elapsed, _, tasks = python_run(page, index)
            python_ms.append(elapsed)
            long_tasks.extend(tasks)
            js_elapsed, count = page.evaluate(JS_CONSUMER, TOKENS)
            assert count == TOKENS, count
            js_ms.append(js_elapsed)
        context.close()
        real = real_engine.measure(browser)
        browser.close()
    py, js = statistics.median(python_ms), statistics.median(js_ms)
    print(f"streaming {TOKENS} tokens, {RUNS} runs each, median (same page, same scripted engine)")
    print(f"{'consumer':10} {'ms':>9} {'tokens/s':>11} {'us/token':>9}")
    print(f"{'python':10} {py:9.1f} {TOKENS / py * 1000:11.0f} {py * 1000 / TOKENS:9.2f}")
    print(f"{'plain JS':10} {js:9.1f} {TOKENS / js * 1000:11.0f} {js * 1000 / TOKENS:9.2f}")
    print(
        f"python/JS time ratio: {py / js:.2f}; Python-side cost: {(py - js) * 1000 / TOKENS:.2f} us/token"
    )
    longest = max((d for _, d in long_tasks), default=0.0)
    print(
        f"main-thread long tasks while the Python pipeline streamed: {len(long_tasks)}, longest {longest:.0f} ms"
    )
    real_engine.report(real)


if __name__ == "__main__":
    main()
