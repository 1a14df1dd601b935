"""The page boots offline from our server and reports what WebGPU can do."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from playwright.sync_api import Browser, BrowserContext, BrowserType, Page, Route, expect

from tests.e2e.conftest import PageWatch, route_scripted_engine, wait_ready, watch_page
from tests.support.browser import launch_options
from tests.support.live_server import LiveServer


def test_shell_is_visible_before_python(page: Page, live_server: LiveServer) -> None:
    """The HTML shell (header, chat area, status) is there without any JS running."""
    page.route("**/runtime/**", lambda route: route.abort())
    page.goto(live_server.url)
    expect(page.locator("header h1")).to_have_text("Character Chat")
    expect(page.locator("#chat .skeleton")).to_be_visible()
    expect(page.locator("#status")).to_have_attribute("data-state", "booting")
    expect(page.locator("#status")).to_contain_text("Loading")


def test_boots_with_no_external_requests_and_reports_swiftshader(
    page: Page, page_watch: PageWatch, live_server: LiveServer
) -> None:
    page.goto(live_server.url)
    wait_ready(page)
    expect(page.locator("#status")).to_have_attribute("data-state", "ready")
    badge = page.locator("#gpu-badge")
    expect(badge).to_have_attribute("data-webgpu", "adapter")
    expect(badge).to_contain_text("swiftshader")
    expect(badge).to_have_attribute("data-f16", "no")
    expect(page.locator("#gpu-panel")).to_contain_text("shader-f16 missing")
    assert page_watch.requests, "the page made no request at all"
    assert page_watch.external_requests() == []
    assert page_watch.errors == []


def test_python_starts_from_the_memory_snapshot(page: Page, live_server: LiveServer) -> None:
    """The page restores the Python snapshot built by `make` instead of booting CPython."""
    warnings: list[str] = []
    page.on("console", lambda m: warnings.append(m.text) if m.type == "warning" else None)
    page.goto(live_server.url)
    wait_ready(page)
    marks = page.evaluate("performance.getEntriesByType('mark').map(m => m.name)")
    assert "python:snapshot" in marks
    assert "python:fresh" not in marks
    assert not [w for w in warnings if "snapshot" in w]


def _array_buffers_over(page: Page, min_bytes: int) -> list[int]:
    """Sizes of the page's ArrayBuffer stores over ``min_bytes``, from a V8 heap snapshot."""
    cdp = page.context.new_cdp_session(page)
    chunks: list[str] = []
    cdp.on("HeapProfiler.addHeapSnapshotChunk", lambda event: chunks.append(event["chunk"]))
    cdp.send("HeapProfiler.enable")
    cdp.send("HeapProfiler.collectGarbage")
    cdp.send("HeapProfiler.takeHeapSnapshot", {"reportProgress": False})
    heap = json.loads("".join(chunks))
    fields = heap["snapshot"]["meta"]["node_fields"]
    name_at, size_at = fields.index("name"), fields.index("self_size")
    nodes, strings = heap["nodes"], heap["strings"]
    return [
        nodes[i + size_at]
        for i in range(0, len(nodes), len(fields))
        if nodes[i + size_at] > min_bytes and "JSArrayBufferData" in strings[nodes[i + name_at]]
    ]


def test_the_snapshot_bytes_are_let_go_once_restored(page: Page, live_server: LiveServer) -> None:
    """Only Python's heap stays: the downloaded copy it was filled from is garbage."""
    page.goto(live_server.url)
    wait_ready(page)
    snapshot_size = page.evaluate(
        "async () => (await (await fetch('/runtime/pyodide/snapshot.bin.gz')).arrayBuffer())"
        ".byteLength"
    )
    page.wait_for_timeout(500)  # let that fetch's own buffer go too
    big = _array_buffers_over(page, snapshot_size // 2)
    assert len(big) == 1, f"buffers the size of the snapshot: {big}"  # the wasm memory


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param({"status": 404, "body": "not found"}, id="missing"),
        pytest.param({"status": 200, "body": b"\x00not a snapshot" * 4096}, id="corrupt"),
    ],
)
def test_without_a_usable_snapshot_python_starts_from_scratch(
    page: Page, live_server: LiveServer, answer: dict[str, object]
) -> None:
    """A missing or foreign snapshot costs time, never the app: Python boots the usual way."""
    warnings: list[str] = []
    page.on("console", lambda m: warnings.append(m.text) if m.type == "warning" else None)
    page.route("**/runtime/pyodide/snapshot.bin.gz", lambda route: route.fulfill(**answer))  # type: ignore[arg-type]
    page.goto(live_server.url)
    wait_ready(page)
    marks = page.evaluate("performance.getEntriesByType('mark').map(m => m.name)")
    assert "python:fresh" in marks
    assert "python:snapshot" not in marks
    assert any("starting Python from scratch" in w for w in warnings)
    greeting = page.locator("#chat .message.assistant .content").first
    expect(greeting.locator("em").first).to_be_visible()  # the served wheels still work


def test_python_reads_the_real_webllm_model_list(page: Page, live_server: LiveServer) -> None:
    """The model list Python starts from (written out of WebLLM's module at setup, so the page
    starts without importing it) is the real module's."""
    page.goto(live_server.url)
    wait_ready(page)
    count = int(page.locator("#status").get_attribute("data-models") or 0)
    in_js = page.evaluate(
        "async () => (await import('/runtime/web-llm/index.js')).prebuiltAppConfig.model_list.length"
    )
    assert count > 0
    assert count == in_js


def test_served_wheel_imports_offline(page: Page, live_server: LiveServer) -> None:
    """markdown-it-py, installed by micropip from our server, renders the greeting's *actions*."""
    page.goto(live_server.url)
    wait_ready(page)
    greeting = page.locator("#chat .message.assistant .content").first
    expect(greeting.locator("em").first).to_be_visible()
    assert "*" not in greeting.inner_text()


def test_no_webgpu_adapter_shows_guidance(
    browser_type: BrowserType, live_server: LiveServer
) -> None:
    """Chromium without --enable-unsafe-webgpu grants no adapter: guidance, no crash."""
    browser: Browser = browser_type.launch(**launch_options(webgpu=False))
    try:
        page = browser.new_page(service_workers="block")
        watch = watch_page(page)
        page.goto(live_server.url)
        wait_ready(page)
        expect(page.locator("#status")).to_have_attribute("data-state", "ready")
        expect(page.locator("#gpu-badge")).to_have_attribute("data-webgpu", "no-adapter")
        panel = page.locator("#gpu-panel")
        expect(panel).to_contain_text("WebGPU unavailable")
        expect(panel.locator(".guidance")).to_contain_text("hardware acceleration")
        assert watch.errors == []
        assert watch.external_requests() == []
    finally:
        browser.close()


def test_missing_navigator_gpu_on_ios_shows_safari_flag_steps(
    browser: Browser, live_server: LiveServer
) -> None:
    """No ``navigator.gpu`` on an iOS 18 user agent: the Safari feature-flag steps."""
    context = browser.new_context(
        service_workers="block",
        user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
        viewport={"width": 390, "height": 844},
    )
    context.add_init_script("delete Navigator.prototype.gpu;")
    try:
        page = context.new_page()
        page.goto(live_server.url)
        wait_ready(page)
        expect(page.locator("#gpu-badge")).to_have_attribute("data-webgpu", "no-api")
        guidance = page.locator("#gpu-panel .guidance")
        expect(guidance).to_contain_text("Settings > Safari > Advanced > Feature Flags")
    finally:
        context.close()


def test_korean_browser_gets_korean_shell(browser: Browser, live_server: LiveServer) -> None:
    context = browser.new_context(locale="ko-KR", service_workers="block")
    try:
        page = context.new_page()
        page.goto(live_server.url)
        wait_ready(page)
        expect(page.locator("html")).to_have_attribute("lang", "ko")
        expect(page.locator("#status")).to_have_text("준비됨")
    finally:
        context.close()


def test_app_boots_with_the_scripted_engine(page: Page, live_server: LiveServer) -> None:
    """The scripted engine re-exports the real model list, so the app cannot tell."""
    route_scripted_engine(page)
    page.goto(live_server.url)
    wait_ready(page)
    expect(page.locator("#status")).to_have_attribute("data-state", "ready")
    assert page.evaluate("async () => (await import('/runtime/web-llm/index.js')).__scripted")


def serve_app_with(context: BrowserContext, module: str, lines: bytes) -> None:
    """Serve /app.zip with ``lines`` appended to ``module`` (nothing appended: as served)."""

    def fulfil(route: Route) -> None:
        served = zipfile.ZipFile(io.BytesIO(route.fetch().body()))
        body = io.BytesIO()
        with zipfile.ZipFile(body, "w") as bundle:
            for name in served.namelist():
                data = served.read(name)
                bundle.writestr(
                    name, data + b"\n" + lines + b"\n" if name == module and lines else data
                )
        route.fulfill(body=body.getvalue(), content_type="application/zip")

    context.route("**/app.zip", fulfil)


@pytest.mark.parametrize("changed", [False, True])
def test_app_modules_from_the_snapshot_give_way_to_changed_files(
    context: BrowserContext, live_server: LiveServer, changed: bool
) -> None:
    """The snapshot holds app modules as they were when it was built; a page served other
    files must run those (here, app/tokens.py with one more line that marks the page)."""

    if changed:
        serve_app_with(
            context, "app/tokens.py", b"import js\njs.globalThis.__tokensFromFile = True"
        )
    else:
        serve_app_with(context, "app/tokens.py", b"")
    page = context.new_page()
    page.goto(live_server.url)
    wait_ready(page)
    expect(page.locator("#status")).to_have_attribute("data-state", "ready")
    from_file = page.evaluate("globalThis.__tokensFromFile === true")
    assert from_file is changed  # unchanged files: the snapshot's modules are used as they are


def test_a_broken_app_package_says_so_instead_of_loading_for_ever(
    context: BrowserContext, live_server: LiveServer
) -> None:
    """A deploy whose modules fail to import (here app/browser/main.py) ends on a readable error."""

    serve_app_with(context, "app/browser/main.py", b"import app.no_such_module")
    page = context.new_page()
    page.goto(live_server.url)
    wait_ready(page)
    status = page.locator("#status")
    expect(status).to_have_attribute("data-state", "error")
    expect(status).to_contain_text("could not start")
    expect(status).to_contain_text("no_such_module")
