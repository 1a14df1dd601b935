"""Boot benchmark: time from navigation to "ready", cold vs warm vs offline.

Cold: a new browser context (empty HTTP cache, no storage) per run. Warm: one context, the page
reloaded, either revalidating through the HTTP cache (304s) or served by the service worker.
Offline: new pages of the service-worker context with the network off. One more warm row starts
Python without the memory snapshot (its request refused), to show what the snapshot is worth.
Runs side by side in one process against the same live server, so the ratios are meaningful on
a noisy machine. Run with ``make bench``.

Two clocks: the wall clock around Playwright's navigation and wait (checked every animation
frame), and the page's own ``app:ready`` performance mark (navigation start to ready, by the
browser's clock).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import Page, Route, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.support.browser import launch_options
from tests.support.live_server import serve

RUNS = 5
READY = "#status[data-state=ready]"
READY_MARK = "performance.getEntriesByName('app:ready')[0].startTime / 1000"

Run = tuple[float, float]  # (wall clock, app:ready mark), seconds

PHASES = (  # (label, mark that ends it): where the time to "ready" goes
    ("page, PyScript, config", "python:boot"),
    ("Python: wasm + snapshot", "python:snapshot"),
    ("wheels unpacked", "python:wheels"),
    ("app files, main.py", "app:python"),
    ("app modules imported", "app:imported"),
    ("GPU probe + IndexedDB", "app:gpu-and-db"),
    ("controllers started", "app:ready"),
)
MARKS = "Object.fromEntries(performance.getEntriesByType('mark').map(m => [m.name, m.startTime]))"
PHASE_MARKS: dict[str, list[dict[str, float]]] = {}


def _time_to_ready(page: Page, action: str, url: str) -> Run:
    started = time.perf_counter()
    if action == "goto":
        page.goto(url)
    else:
        page.reload()
    # Checked every animation frame: wait_for_selector backs off to polling every 500 ms.
    page.wait_for_function(f"document.querySelector('{READY}')", polling="raf", timeout=120_000)
    wall = time.perf_counter() - started
    PHASE_MARKS.setdefault(_ROW[0], []).append(page.evaluate(MARKS))
    return wall, float(page.evaluate(READY_MARK))


_ROW = ["cold (empty cache)"]  # the row being measured, for its phase marks


def _phases(row: str) -> list[float]:
    """Median milliseconds of each phase of ``row`` (0 where a mark is missing)."""
    medians = []
    for index, (_, mark) in enumerate(PHASES):
        spans = []
        for marks in PHASE_MARKS.get(row, []):
            end = marks.get(mark)
            if mark == "python:snapshot" and end is None:
                end = marks.get("python:fresh")
            begin = 0.0 if index == 0 else _previous(marks, index)
            if end is not None and begin is not None:
                spans.append(end - begin)
        medians.append(statistics.median(spans) if spans else 0.0)
    return medians


def _previous(marks: dict[str, float], index: int) -> float | None:
    for _, mark in reversed(PHASES[:index]):
        if mark in marks:
            return marks[mark]
        if mark == "python:snapshot" and "python:fresh" in marks:
            return marks["python:fresh"]
    return 0.0


def _controlled(page: Page) -> None:
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=120_000)


def _refuse(route: Route) -> None:
    route.fulfill(status=404, body="no snapshot")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, serve(Path(tmp)) as server, sync_playwright() as pw:
        browser = pw.chromium.launch(**launch_options(webgpu=True))
        cold: list[Run] = []
        _ROW[0] = "cold (empty cache)"
        for _ in range(RUNS):
            context = browser.new_context(service_workers="block")
            cold.append(_time_to_ready(context.new_page(), "goto", server.url))
            context.close()

        context = browser.new_context(service_workers="block")
        page = context.new_page()
        _ROW[0] = "-"
        _time_to_ready(page, "goto", server.url)
        _ROW[0] = "warm (HTTP cache, 304s)"
        warm_http = [_time_to_ready(page, "reload", server.url) for _ in range(RUNS)]
        page.route("**/runtime/pyodide/snapshot.bin.gz", _refuse)
        _ROW[0] = "warm (HTTP), no snapshot"
        no_snapshot = [_time_to_ready(page, "reload", server.url) for _ in range(RUNS)]
        context.close()

        context = browser.new_context(service_workers="allow")
        page = context.new_page()
        _ROW[0] = "-"
        _time_to_ready(page, "goto", server.url)
        _controlled(page)
        _ROW[0] = "warm (service worker)"
        warm_sw = [_time_to_ready(page, "reload", server.url) for _ in range(RUNS)]
        page.close()
        context.set_offline(True)
        offline = []
        _ROW[0] = "offline (service worker)"
        for _ in range(RUNS):
            page = context.new_page()
            offline.append(_time_to_ready(page, "goto", server.url))
            page.close()
        context.close()
        browser.close()

    rows = (
        ("cold (empty cache)", cold),
        ("warm (HTTP cache, 304s)", warm_http),
        ("warm (HTTP), no snapshot", no_snapshot),
        ("warm (service worker)", warm_sw),
        ("offline (service worker)", offline),
    )
    base_wall = statistics.median(wall for wall, _ in cold)
    base_mark = statistics.median(mark for _, mark in cold)
    print(f"boot to ready, {RUNS} runs each (seconds); speed-up is cold median / median")
    print(
        f"{'':26} {'wall':>7} {'min':>6} {'max':>6} {'speed-up':>9}   {'mark':>6} {'speed-up':>9}"
    )
    for name, runs in rows:
        wall = statistics.median(w for w, _ in runs)
        mark = statistics.median(m for _, m in runs)
        print(
            f"{name:26} {wall:7.2f} {min(w for w, _ in runs):6.2f} {max(w for w, _ in runs):6.2f}"
            f" {base_wall / wall:8.2f}x   {mark:6.2f} {base_mark / mark:8.2f}x"
        )
    goals = {"cold (empty cache)": 2.5, "warm (service worker)": 0.8}
    for name, goal in goals.items():
        runs = dict(rows)[name]
        print(
            f"goal: {name} <= {goal:.1f} s to a usable composer: "
            f"{statistics.median(m for _, m in runs):.2f} s by the page's mark"
        )
    print()
    print("where the time goes (median ms per phase, by the page's marks)")
    print(f"{'':26}" + "".join(f" {label[:12]:>12}" for label, _ in PHASES))
    for name, _ in rows:
        print(f"{name:26}" + "".join(f" {ms:12.0f}" for ms in _phases(name)))
    print("phases: " + "; ".join(f"{label} (to {mark})" for label, mark in PHASES))


if __name__ == "__main__":
    main()
