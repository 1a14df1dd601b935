"""The stream benchmark's real-engine row: the app vs a bare page on the same WebLLM build.

Both drive real WebLLM in its worker with the tiny model (``make tiny-model``), served through
the model mirror exactly as in the real-engine tests. The bare page sends the very request the
app sent (captured from the app's worker messages; same messages, options and seed, so both
decode the same tokens), and the runs go app, bare, bare, app, app, bare in one browser, so
neither always goes first.

- time to first token: from pressing Enter (app) or calling ``create`` (bare) to the first
  text on screen (app: a DOM mutation of the streaming reply) or the first text chunk (bare).
  Most of it is prefill on the CPU-emulated GPU, seconds that vary by more than the 50 ms
  goal between runs, so the comparison is of the overhead: TTFT less WebLLM's own prefill
  time (``usage.extra.time_to_first_token_s``), per run;
- decode rate: tokens after the first over the time from the first to the last text, both as
  the consumer sees them; WebLLM's own ``decode_tokens_per_s`` is shown beside it.
"""

from __future__ import annotations

import json
import statistics
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page

from app.presets import build_app_config, chat_options
from tests.support.live_server import serve
from tests.support.model_mirror import serve_mirror, tiny_preset

__all__ = ["RealRow", "measure", "report"]

RUNS = 3
#: Who runs when: each goes first in some pairs (the app first, to capture its request).
ORDER = ("app", "bare", "bare", "app", "app", "bare")
SEED = 7
LOAD_TIMEOUT = 300_000
REPLY_TIMEOUT = 300_000

CAPTURE_WORKER = """
(() => {
  // The app's requests to WebLLM's worker (for the bare page to repeat) and the usage the
  // worker reports back (for the engine's own prefill time), seen from outside the app.
  const send = Worker.prototype.postMessage;
  window.__requests = [];
  window.__usages = [];
  Worker.prototype.postMessage = function (message, ...rest) {
    if (message && message.kind === 'chatCompletionStreamInit') {
      window.__requests.push(JSON.parse(JSON.stringify(message.content.request)));
    }
    return send.call(this, message, ...rest);
  };
  const slot = Object.getOwnPropertyDescriptor(Worker.prototype, 'onmessage');
  Object.defineProperty(Worker.prototype, 'onmessage', {
    get() { return slot.get.call(this); },
    set(handler) {
      slot.set.call(this, (event) => {
        const usage = event.data && event.data.content && event.data.content.usage;
        if (usage) window.__usages.push(JSON.parse(JSON.stringify(usage)));
        return handler(event);
      });
    },
  });
})();
"""
OBSERVE_REPLY = """
() => {
  window.__text = [];
  // When the user's Enter reached the page (not when the harness sent it).
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') window.__enter = performance.now();
  }, true);
  new MutationObserver(() => {
    const reply = document.querySelector('.message.assistant[data-state=streaming] .content');
    if (reply && reply.textContent.length) window.__text.push(performance.now());
  }).observe(document.getElementById('chat'), {subtree: true, childList: true, characterData: true});
}
"""
BARE_LOAD = """
async ([modelId, appConfig, chatOpts]) => {
  const webllm = await import('/runtime/web-llm/index.js');
  const worker = new Worker('/static/webllm-worker.js', {type: 'module'});
  window.__bare = await webllm.CreateWebWorkerMLCEngine(worker, modelId, {appConfig}, chatOpts);
}
"""
BARE_RUN = """
async (request) => {
  const node = document.body.appendChild(document.createTextNode(''));
  const started = performance.now();
  const stream = await window.__bare.chat.completions.create(request);
  let first = null, last = null, chunks = 0, usage = null;
  for await (const chunk of stream) {
    if (chunk.usage) usage = chunk.usage;
    for (const choice of chunk.choices || []) {
      const text = choice.delta && choice.delta.content;
      if (text) { node.appendData(text); chunks += 1; last = performance.now(); first ??= last; }
    }
  }
  node.remove();
  return {ttft: first - started, span: last - first, usage};
}
"""


@dataclass(frozen=True)
class Run:
    """One reply as its consumer saw it."""

    ttft_ms: float
    overhead_ms: float
    """Time to first token less WebLLM's own prefill time: what the page adds around the GPU."""
    decode_tps: float
    engine_decode_tps: float


@dataclass(frozen=True)
class RealRow:
    """Medians of :data:`RUNS` replies each, app and bare."""

    app: Run
    bare: Run
    tokens: int


def _run(ttft: float, span_ms: float, usage: dict[str, Any]) -> Run:
    tokens = int(usage.get("completion_tokens") or 0)
    extra = usage.get("extra") or {}
    prefill_ms = float(extra.get("time_to_first_token_s") or 0) * 1000
    decode = (tokens - 1) / (span_ms / 1000) if span_ms > 0 else 0.0
    return Run(ttft, ttft - prefill_ms, decode, float(extra.get("decode_tokens_per_s") or 0))


def _median(runs: list[Run]) -> Run:
    return Run(
        statistics.median(r.ttft_ms for r in runs),
        statistics.median(r.overhead_ms for r in runs),
        statistics.median(r.decode_tps for r in runs),
        statistics.median(r.engine_decode_tps for r in runs),
    )


def _app_reply(page: Page, index: int) -> tuple[Run, int, dict[str, Any]]:
    page.evaluate("window.__text = []")
    page.fill("#prompt", "Hello! Who are you?")
    page.keyboard.press("Enter")
    reply = page.locator(".message.assistant").nth(index + 1)  # after the greeting
    reply.and_(page.locator("[data-state=done]")).wait_for(timeout=REPLY_TIMEOUT)
    started = page.evaluate("window.__enter")
    stamps = page.evaluate("window.__text")
    usage = page.evaluate("window.__usages.at(-1)")
    tokens = int(usage["completion_tokens"])
    request = page.evaluate("window.__requests.at(-1)")
    # Each run is a new turn: delete it (the page confirms each delete) so the next prompt is
    # the same.
    reply.locator("button.delete").click()
    page.locator(".message.user").last.locator("button.delete").click()
    page.locator(".message.user").wait_for(state="detached")
    return _run(stamps[0] - started, stamps[-1] - stamps[0], usage), tokens, request


def measure(browser: Browser) -> RealRow:
    """Load the tiny model in the app and in a bare page, then alternate replies."""
    preset = tiny_preset()
    with (
        tempfile.TemporaryDirectory() as tmp,
        serve_mirror() as mirror,
    ):
        presets = Path(tmp) / "presets.json"
        presets.write_text(json.dumps([preset]))
        env = {"PRESETS_FILE": str(presets), "MODEL_MIRROR_BASE_URL": mirror.url}
        with serve(Path(tmp), env) as server:
            context = browser.new_context(service_workers="block")
            context.add_init_script(CAPTURE_WORKER)
            app = context.new_page()
            app.on("dialog", lambda dialog: dialog.accept())
            app.goto(server.url)
            app.wait_for_selector("#status[data-state=ready]", timeout=120_000)
            app.click("#settings-button")
            app.select_option("#settings-form [name=reply_length]", "short")
            app.fill("#settings-form [name=seed]", str(SEED))
            app.click("#settings-form button[value=save]")
            app.click("#model-button")
            app.click(f"#model-list li[data-model='{preset['model_id']}'] button.load")
            app.wait_for_selector("#model-button[data-loaded=yes]", timeout=LOAD_TIMEOUT)
            app.evaluate(OBSERVE_REPLY)
            bare = context.new_page()
            bare.goto(server.url + "/healthz")
            config = build_app_config([], [preset], mirror=mirror.url)
            bare.evaluate(BARE_LOAD, [preset["model_id"], config, chat_options()])
            app_runs, bare_runs = [], []
            run, tokens, request = _app_reply(app, 0)  # the request the bare page repeats
            app_runs.append(run)
            for who in ORDER[1:]:
                if who == "bare":
                    result = bare.evaluate(BARE_RUN, request)
                    bare_runs.append(_run(result["ttft"], result["span"], result["usage"]))
                else:
                    app_runs.append(_app_reply(app, 0)[0])
            context.close()
    return RealRow(_median(app_runs), _median(bare_runs), tokens)


def report(row: RealRow) -> None:
    """The row's table, with the goals beside the figures."""
    app, bare = row.app, row.bare
    print(f"\nreal engine: tiny model, {row.tokens} tokens a reply, {RUNS} runs each, median")
    print(
        f"{'page':6} {'TTFT ms':>8} {'overhead ms':>12} {'decode tok/s':>13} {'engine tok/s':>13}"
    )
    for name, run in (("app", app), ("bare", bare)):
        print(
            f"{name:6} {run.ttft_ms:8.0f} {run.overhead_ms:12.0f} {run.decode_tps:13.2f}"
            f" {run.engine_decode_tps:13.2f}"
        )
    kept = app.decode_tps / bare.decode_tps if bare.decode_tps else 0.0
    added = app.overhead_ms - bare.overhead_ms
    print(f"decode rate kept: {kept:.1%} (goal >= 95%)")
    print(
        f"time to first token added: {added:+.0f} ms over the bare page's overhead (goal <= 50 ms);"
        f" raw TTFT difference {app.ttft_ms - bare.ttft_ms:+.0f} ms"
    )
