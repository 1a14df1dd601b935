"""Outbox benchmark: flushing queued messages batched vs one request each, and the cost of an
enqueue from Python vs the same IndexedDB transaction in plain JS.

1. **Flush** (CPython, real HTTP): 1,000 messages in one chat, queued in the outbox store the
   page uses (``OutboxDbStore``, here over ``MemoryDatabase``), flushed by the page's
   ``SyncWorker`` to ``python -m server`` (as ``make run`` starts it, embedded SQLite), once
   with its batches (200 a request) and once with one message a request. Goal: batched at
   least 10x faster.
2. **Enqueue** (Chromium): in one page on the app's origin, Pyodide runs the app's own
   ``OutboxDbStore`` over its IndexedDB adapter (``app/browser/idb.py`` and ``web/idb.js``), one
   ``enqueue`` (one transaction) per message; plain JS adds the same records, one transaction
   each, to another database. Goal: Python at most 3x JS per message.

Side by side in one run, the best of ``ROUNDS``. Run with ``make bench``.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from app.outbox import (  # noqa: E402
    MessageEntry,
    MessagePayload,
    NetworkError,
    Response,
    SessionEntry,
    SessionPayload,
    SyncWorker,
    SystemClock,
)
from app.storage.database import MemoryDatabase  # noqa: E402
from app.storage.outbox_store import OutboxDbStore  # noqa: E402
from tests.support.browser import launch_options  # noqa: E402
from tests.support.live_server import serve  # noqa: E402

MESSAGES = 1000
ENQUEUES = 300
ROUNDS = 3
SERVER_ENV = {"RATE_LIMIT_PER_MINUTE": "100000000", "AUTH_RATE_LIMIT_PER_MINUTE": "100000"}


class HttpxTransport:
    """The page's ``Transport`` (``app/browser/http.py``) over httpx: same cookies and CSRF."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def send(self, method: str, path: str, json_body: Any = None) -> Response:
        try:
            answer = await self.http.request(method, path, json=json_body)
        except httpx.HTTPError as exc:
            raise NetworkError(str(exc)) from exc
        try:
            body = answer.json() if answer.content else None
        except ValueError:
            body = answer.text
        return Response(status=answer.status_code, headers=dict(answer.headers), body=body)


def _entries(count: int) -> list[SessionEntry | MessageEntry]:
    csid = str(uuid.uuid4())
    session = SessionEntry(
        client_session_id=csid,
        payload=SessionPayload(
            character_id="bench",
            character_name="Bench",
            model_id="Qwen3-4B-q4f16_1-MLC",
            created_at="2025-01-01T00:00:00Z",
        ),
    )
    messages = [
        MessageEntry(
            client_session_id=csid,
            client_message_id=str(uuid.uuid4()),
            seq=seq,
            payload=MessagePayload(
                role="user" if seq % 2 == 0 else "assistant",
                content=f"Message {seq}: the lighthouse keeper set the kettle on the stove.",
                created_at="2025-01-01T00:00:01Z",
                stats={"decodeTokensPerS": 31.5, "completionTokens": 120},
            ),
        )
        for seq in range(count)
    ]
    return [session, *messages]


async def _flush_seconds(base_url: str, batch_size: int) -> float:
    """Seconds for a fresh user's worker to send ``MESSAGES`` queued messages."""
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as http:
        await http.get("/api/v1/auth/me")
        http.headers["x-csrftoken"] = http.cookies["csrftoken"]
        credentials = {"username": f"ob_{uuid.uuid4().hex[:10]}", "password": "bench password"}
        await http.post("/api/v1/auth/register", json=credentials)
        http.headers["x-csrftoken"] = http.cookies["csrftoken"]
        store = OutboxDbStore(MemoryDatabase())
        await store.enqueue(_entries(MESSAGES))
        worker = SyncWorker(
            store, HttpxTransport(http), SystemClock(), random.Random(1), batch_size=batch_size
        )
        started = time.perf_counter()
        await worker.flush()
        elapsed = time.perf_counter() - started
        state = await worker.state()
        if state.waiting or state.failed:
            raise RuntimeError(f"not all sent: {state}")
        return elapsed


#: A stand-in for PyScript's modules, enough for the IndexedDB adapter under plain Pyodide.
SHIM = {
    "pyscript/__init__.py": "import js as window\nfrom js import document\n",
    "pyscript/ffi.py": "from pyodide.ffi import create_proxy, to_js\n",
    "pyscript/js_modules.py": "import bench_idb as idb\n",
}

PY_ENQUEUE = """
import js
from app.browser.idb import IndexedDatabase
from app.outbox.entries import entry_from_dict
from app.storage.outbox_store import OutboxDbStore

async def run(records):
    entries = [entry_from_dict(r) for r in records]
    store = OutboxDbStore(await IndexedDatabase.open("bench-python", 1))
    started = js.performance.now()
    for entry in entries:
        await store.enqueue([entry])
    return js.performance.now() - started

run
"""

JS_ENQUEUE = """
async (records) => {
  const db = await new Promise((resolve, reject) => {
    const open = indexedDB.open("bench-js", 1);
    open.onupgradeneeded = () => open.result.createObjectStore("outbox", {keyPath: "key"});
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
  let order = 0;
  const started = performance.now();
  for (const record of records) {
    await new Promise((resolve, reject) => {
      const tx = db.transaction(["outbox"], "readwrite", {durability: "strict"});  // as idb.js
      tx.objectStore("outbox").add({...record, order: order++, owner: ""});
      tx.oncomplete = resolve;
      tx.onerror = () => reject(tx.error);
    });
  }
  return performance.now() - started;
}
"""

BOOT_PYODIDE = """
async ({shim}) => {
  const { loadPyodide } = await import("/runtime/pyodide/pyodide.mjs");
  const py = await loadPyodide({indexURL: "/runtime/pyodide/"});
  py.registerJsModule("bench_idb", await import("/static/idb.js"));
  const write = (path, text) => {
    const parts = path.split("/");
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join("/");
      if (!py.FS.analyzePath(dir).exists) py.FS.mkdir(dir);
    }
    py.FS.writeFile(path, text);
  };
  // The app package as the page gets it (pyscript.toml: "./app.zip" = "./*").
  const archive = await (await fetch("/app.zip")).arrayBuffer();
  py.unpackArchive(archive, "zip", {extractDir: "/home/pyodide"});
  for (const [path, text] of Object.entries(shim)) write(path, text);
  globalThis.__py = py;
  return true;
}
"""


def _enqueue_ms(base_url: str, records: list[dict[str, Any]]) -> tuple[float, float]:
    """(Python, JS) milliseconds for ``len(records)`` one-transaction enqueues, best of rounds."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**launch_options())
        try:
            page = browser.new_context(bypass_csp=True, service_workers="block").new_page()
            page.goto(f"{base_url}/healthz")  # the app's origin, without booting the app
            page.evaluate(BOOT_PYODIDE, {"shim": SHIM})
            python, plain = [], []
            for _ in range(ROUNDS):
                python.append(
                    page.evaluate(
                        "async ([code, records]) => {"
                        "  const run = await __py.runPythonAsync(code);"
                        "  return await run(__py.toPy(records)); }",
                        [PY_ENQUEUE, records],
                    )
                )
                page.evaluate("indexedDB.deleteDatabase('bench-python')")
                plain.append(page.evaluate(JS_ENQUEUE, records))
                page.evaluate("indexedDB.deleteDatabase('bench-js')")
        finally:
            browser.close()
    return min(python), min(plain)


def main() -> None:
    records = [entry.to_dict() for entry in _entries(ENQUEUES - 1)]
    with tempfile.TemporaryDirectory() as data, serve(Path(data), SERVER_ENV) as live:
        batched, single = [], []
        for _ in range(ROUNDS):
            batched.append(asyncio.run(_flush_seconds(live.url, 200)))
            single.append(asyncio.run(_flush_seconds(live.url, 1)))
        python_ms, js_ms = _enqueue_ms(live.url, records)
    fast, slow = min(batched), min(single)
    print(f"\noutbox: flush {MESSAGES} queued messages to the local server (best of {ROUNDS})")
    print(f"{'figure':<44} {'measured':>10}  goal")
    print(f"{'batched (200 a request), s':<44} {fast:>10.2f}")
    print(f"{'one request per message, s':<44} {slow:>10.2f}")
    print(f"{'speed-up of batching':<44} {slow / fast:>9.1f}x  >= 10x")
    print(f"outbox: IndexedDB enqueue, one transaction per message ({len(records)} records)")
    print(f"{'Python (OutboxDbStore over idb.py), ms/msg':<44} {python_ms / len(records):>10.3f}")
    print(f"{'plain JS (same records), ms/msg':<44} {js_ms / len(records):>10.3f}")
    print(f"{'Python / JS':<44} {python_ms / js_ms:>10.2f}  <= 3")
    print(json.dumps({"flush_s": [batched, single], "enqueue_ms": [python_ms, js_ms]}))


if __name__ == "__main__":
    main()
