"""Load benchmark: many users at once against several workers sharing Redis.

``python -m server`` with ``WORKERS=4`` on a fresh PostgreSQL database (``TEST_DATABASE_URL``,
else the local server) and ``REDIS_URL`` (``TEST_REDIS_URL``, else the local one), as the
README's several-worker deployment runs. 200 simulated users, at most 50 in flight at once,
each as the page would: fetch the CSRF cookie, register, create two chat sessions, flush three
outbox batches of 20 messages into each, replay one batch (a lost answer), read a page back.
Then one user sends more requests than the per-user limit allows, spread over every worker.

Reported: throughput, p50/p99 per endpoint, the number of 5xx answers (goal 0), duplicate rows
in the database (goal 0), rows stored against rows expected, and how many requests the
per-minute limit let through against the limit. Loopback only, bounded (about 2,800 requests).
Run with ``make bench``.
"""

from __future__ import annotations

import asyncio
import datetime
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.support.live_server import serve

USERS = 200
IN_FLIGHT = 50
SESSIONS_PER_USER = 2
BATCHES_PER_SESSION = 3
BATCH = 20
WORKERS = 4
RATE_LIMIT = 120
POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
API = "/api/v1/character-chat"


class Recorder:
    """Latency per endpoint and every status seen."""

    def __init__(self) -> None:
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.statuses: dict[int, int] = defaultdict(int)

    async def call(
        self, http: httpx.AsyncClient, name: str, method: str, url: str, **kwargs: Any
    ) -> httpx.Response:
        started = time.perf_counter()
        response = await http.request(method, url, **kwargs)
        self.latencies[name].append(time.perf_counter() - started)
        self.statuses[response.status_code] += 1
        return response


def _messages(first_seq: int) -> list[dict[str, Any]]:
    created = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)
    return [
        {
            "clientMessageId": str(uuid.uuid4()),
            "role": "user" if seq % 2 == 0 else "assistant",
            "content": f"message {seq}: the lighthouse keeper set the kettle on the stove.",
            "seq": seq,
            "createdAt": (created + datetime.timedelta(seconds=seq)).isoformat(),
        }
        for seq in range(first_seq, first_seq + BATCH)
    ]


async def _user(base_url: str, recorder: Recorder, gate: asyncio.Semaphore) -> None:
    async with gate, httpx.AsyncClient(base_url=base_url, timeout=60) as http:
        await recorder.call(http, "GET /auth/me", "GET", "/api/v1/auth/me")
        http.headers["x-csrftoken"] = http.cookies["csrftoken"]
        name = f"load_{uuid.uuid4().hex[:10]}"
        credentials = {"username": name, "password": "load test password"}
        await recorder.call(
            http, "POST /auth/register", "POST", "/api/v1/auth/register", json=credentials
        )
        http.headers["x-csrftoken"] = http.cookies["csrftoken"]  # a fresh token at login
        for _ in range(SESSIONS_PER_USER):
            body = {
                "clientSessionId": str(uuid.uuid4()),
                "characterId": "load",
                "characterName": "Load",
                "modelId": "m",
                "createdAt": "2025-01-01T00:00:00Z",
            }
            created = await recorder.call(
                http, "POST /sessions", "POST", f"{API}/sessions", json=body
            )
            session_id = created.json()["id"]
            batches = [{"messages": _messages(n * BATCH)} for n in range(BATCHES_PER_SESSION)]
            url = f"{API}/sessions/{session_id}/messages/batch"
            for batch in batches:
                await recorder.call(http, "POST /messages/batch", "POST", url, json=batch)
            await recorder.call(http, "POST /messages/batch (replay)", "POST", url, json=batches[0])
            await recorder.call(
                http, "GET /messages", "GET", f"{API}/sessions/{session_id}/messages?limit=100"
            )


async def _rate_limit_probe(base_url: str) -> int:
    """Requests one user gets through in a burst of 1.5x the per-minute limit."""
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as http:
        await http.get("/api/v1/auth/me")
        http.headers["x-csrftoken"] = http.cookies["csrftoken"]
        name = f"limit_{uuid.uuid4().hex[:10]}"
        await http.post(
            "/api/v1/auth/register", json={"username": name, "password": "load test password"}
        )
        gate = asyncio.Semaphore(IN_FLIGHT)

        async def one() -> int:
            async with gate:
                return (await http.get(f"{API}/sessions")).status_code

        statuses = await asyncio.gather(*(one() for _ in range(RATE_LIMIT * 3 // 2)))
    return sum(1 for status in statuses if status == 200)


async def _database_check(url: str) -> tuple[int, int]:
    """(messages stored, duplicate (session, clientMessageId) keys)."""
    connection = await asyncpg.connect(url)
    try:
        stored = await connection.fetchval("SELECT count(*) FROM chat_message")
        duplicates = await connection.fetchval(
            "SELECT count(*) FROM (SELECT session, client_message_id FROM chat_message"
            " GROUP BY session, client_message_id HAVING count(*) > 1) d"
        )
    finally:
        await connection.close()
    return int(stored), int(duplicates)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def _admin(sql: str) -> None:
    connection = await asyncpg.connect(POSTGRES_URL, timeout=5)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def main() -> None:
    name = f"load_bench_{uuid.uuid4().hex[:8]}"
    try:
        asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError) as exc:
        print(f"load: skipped, PostgreSQL not reachable at {POSTGRES_URL}: {exc}")
        return
    database_url = urlunsplit(urlsplit(POSTGRES_URL)._replace(path=f"/{name}"))
    env = {
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "WORKERS": str(WORKERS),
        "SECRET_KEY": uuid.uuid4().hex,
        "PASSWORD_HASH_PROFILE": "CHEAPEST",
        "AUTH_RATE_LIMIT_PER_MINUTE": "100000",
        "RATE_LIMIT_PER_MINUTE": str(RATE_LIMIT),
    }
    try:
        with tempfile.TemporaryDirectory() as data, serve(Path(data), env) as live:
            recorder = Recorder()
            gate = asyncio.Semaphore(IN_FLIGHT)
            started = time.perf_counter()

            async def everyone() -> None:
                await asyncio.gather(*(_user(live.url, recorder, gate) for _ in range(USERS)))

            asyncio.run(everyone())
            elapsed = time.perf_counter() - started
            allowed = asyncio.run(_rate_limit_probe(live.url))
            stored, duplicates = asyncio.run(_database_check(database_url))
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    _report(recorder, elapsed, allowed, stored, duplicates)


def _report(recorder: Recorder, elapsed: float, allowed: int, stored: int, duplicates: int) -> None:
    requests = sum(recorder.statuses.values())
    errors = sum(count for status, count in recorder.statuses.items() if status >= 500)
    expected = USERS * SESSIONS_PER_USER * BATCHES_PER_SESSION * BATCH
    print(f"\nload: {USERS} users, {IN_FLIGHT} in flight, {WORKERS} workers, PostgreSQL + Redis")
    print(f"{'endpoint':<30} {'requests':>8} {'p50 ms':>8} {'p99 ms':>8}")
    for name, values in recorder.latencies.items():
        print(
            f"{name:<30} {len(values):>8} {statistics.median(values) * 1000:>8.1f}"
            f" {_percentile(values, 0.99) * 1000:>8.1f}"
        )
    print(f"{'figure':<36} {'measured':>10}  goal")
    print(f"{'throughput (requests/s)':<36} {requests / elapsed:>10.1f}  (reported)")
    print(f"{'statuses':<36} {dict(sorted(recorder.statuses.items()))!s:>10}")
    print(f"{'5xx answers':<36} {errors:>10}  0")
    print(f"{'duplicate message rows':<36} {duplicates:>10}  0")
    print(f"{'messages stored / expected':<36} {f'{stored}/{expected}':>10}  all")
    print(
        f"{'per-user limit: let through':<36} {f'{allowed}/{RATE_LIMIT * 3 // 2}':>10}"
        f"  {RATE_LIMIT} (the limit, across {WORKERS} workers)"
    )


if __name__ == "__main__":
    main()
