"""The scripted engine itself: it streams, reports usage, can be interrupted and fail."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page

from tests.e2e.conftest import route_scripted_engine
from tests.support.live_server import LiveServer

RUN = """
async ({interruptAfter}) => {
  const webllm = await import('/runtime/web-llm/index.js');
  const progress = [];
  const engine = await webllm.CreateWebWorkerMLCEngine(null, 'Qwen3-0.6B-q4f32_1-MLC', {
    initProgressCallback: (report) => progress.push(report.progress),
  });
  const stream = await engine.chat.completions.create({
    messages: [{role: 'user', content: 'hi'}], stream: true,
    stream_options: {include_usage: true},
  });
  const deltas = []; let usage = null; let finish = null; let asked = false;
  for await (const chunk of stream) {
    if (chunk.usage) usage = chunk.usage;
    for (const choice of chunk.choices) {
      if (choice.delta.content) deltas.push(choice.delta.content);
      if (choice.finish_reason) finish = choice.finish_reason;
    }
    if (!asked && interruptAfter !== null && deltas.length === interruptAfter) {
      asked = true; engine.interruptGenerate();
    }
  }
  return {progress, deltas, usage, finish, log: globalThis.__scriptedEngineLog};
}
"""


def run(page: Page, url: str, interrupt_after: int | None = None) -> dict[str, Any]:
    page.goto(url + "/healthz")
    return page.evaluate(RUN, {"interruptAfter": interrupt_after})


def test_streams_tokens_with_progress_and_usage(page: Page, live_server: LiveServer) -> None:
    route_scripted_engine(page, {"reply": "one two three four five", "tokenDelayMs": 1})
    result = run(page, live_server.url)
    assert result["progress"][-1] == 1
    assert result["progress"] == sorted(result["progress"])
    assert "".join(result["deltas"]) == "one two three four five"
    assert len(result["deltas"]) == 5
    assert result["finish"] == "stop"
    assert result["usage"]["completion_tokens"] == 5
    assert result["usage"]["extra"]["decode_tokens_per_s"] > 0
    assert result["log"]["requests"][0]["messages"] == [{"role": "user", "content": "hi"}]


def test_interrupt_stops_the_stream_and_keeps_partial_usage(
    page: Page, live_server: LiveServer
) -> None:
    route_scripted_engine(page, {"tokens": [f"t{i} " for i in range(50)], "tokenDelayMs": 2})
    result = run(page, live_server.url, interrupt_after=3)
    assert result["deltas"] == ["t0 ", "t1 ", "t2 "]
    assert result["finish"] == "abort"
    assert result["usage"]["completion_tokens"] == 3
    assert result["log"]["interrupts"] == 1


def test_load_error_carries_webllm_error_name(page: Page, live_server: LiveServer) -> None:
    route_scripted_engine(page, {"loadError": "oom"})
    page.goto(live_server.url + "/healthz")
    name = page.evaluate(
        """async () => {
          const webllm = await import('/runtime/web-llm/index.js');
          try { await webllm.CreateMLCEngine('x'); return null; } catch (e) { return e.name; }
        }"""
    )
    assert name == "DeviceLostError"
