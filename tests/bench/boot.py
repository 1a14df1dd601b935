"""Boot benchmark: time from navigation to "ready", cold vs warm.

Cold: a new browser context (empty HTTP cache, no storage) per run. Warm: one context, the page
reloaded (the HTTP cache revalidates with 304s). Runs side by side in one process against the
same live server, so the ratio is meaningful on a noisy machine. Run with ``make bench``.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.support.browser import launch_options  # noqa: E402
from tests.support.live_server import serve  # noqa: E402

RUNS = 5
READY = "#status[data-state=ready]"


def _time_to_ready(page: Page, action: str, url: str) -> float:
    started = time.perf_counter()
    if action == "goto":
        page.goto(url)
    else:
        page.reload()
    page.wait_for_selector(READY, timeout=120_000)
    return time.perf_counter() - started


def _controlled(page: Page) -> None:
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=120_000)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, serve(Path(tmp)) as server, sync_playwright() as pw:
        browser = pw.chromium.launch(**launch_options(webgpu=True))
        cold: list[float] = []
        for _ in range(RUNS):
            context = browser.new_context(service_workers="block")
            cold.append(_time_to_ready(context.new_page(), "goto", server.url))
            context.close()

        context = browser.new_context(service_workers="block")
        page = context.new_page()
        _time_to_ready(page, "goto", server.url)
        warm_http = [_time_to_ready(page, "reload", server.url) for _ in range(RUNS)]
        context.close()

        context = browser.new_context(service_workers="allow")
        page = context.new_page()
        _time_to_ready(page, "goto", server.url)
        _controlled(page)
        warm_sw = [_time_to_ready(page, "reload", server.url) for _ in range(RUNS)]
        page.close()
        context.set_offline(True)
        offline = []
        for _ in range(RUNS):
            page = context.new_page()
            offline.append(_time_to_ready(page, "goto", server.url))
            page.close()
        context.close()
        browser.close()

    rows = (
        ("cold (empty cache)", cold),
        ("warm (HTTP cache, 304s)", warm_http),
        ("warm (service worker)", warm_sw),
        ("offline (service worker)", offline),
    )
    base = statistics.median(cold)
    print(f"boot to ready, {RUNS} runs each (seconds); speed-up is cold median / median")
    print(f"{'':26} {'median':>7} {'min':>7} {'max':>7} {'speed-up':>9}")
    for name, runs in rows:
        median = statistics.median(runs)
        print(f"{name:26} {median:7.2f} {min(runs):7.2f} {max(runs):7.2f} {base / median:8.2f}x")


if __name__ == "__main__":
    main()
