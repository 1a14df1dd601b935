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


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, serve(Path(tmp)) as server, sync_playwright() as pw:
        browser = pw.chromium.launch(**launch_options(webgpu=True))
        cold: list[float] = []
        for _ in range(RUNS):
            context = browser.new_context()
            cold.append(_time_to_ready(context.new_page(), "goto", server.url))
            context.close()
        context = browser.new_context()
        page = context.new_page()
        _time_to_ready(page, "goto", server.url)
        warm = [_time_to_ready(page, "reload", server.url) for _ in range(RUNS)]
        context.close()
        browser.close()
    cold_median, warm_median = statistics.median(cold), statistics.median(warm)
    print(f"boot to ready, {RUNS} runs each (seconds)")
    print(f"{'':6} {'median':>8} {'min':>8} {'max':>8}")
    for name, runs in (("cold", cold), ("warm", warm)):
        print(f"{name:6} {statistics.median(runs):8.2f} {min(runs):8.2f} {max(runs):8.2f}")
    print(
        f"warm/cold ratio: {warm_median / cold_median:.2f} (cold is {cold_median / warm_median:.2f}x warm)"
    )


if __name__ == "__main__":
    main()
