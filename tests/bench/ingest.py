"""Ingest benchmark: chat messages through the batch API vs raw Piccolo bulk inserts.

For SQLite and PostgreSQL (``TEST_DATABASE_URL``, else the local server; skipped with the
reason when unreachable), each in a fresh migrated database:

- messages/s through ``POST .../messages/batch`` of a live server (``python -m server``, as
  ``make run`` starts it, real HTTP), 200 messages a request, one client;
- messages/s of ``ChatMessage.insert(*rows)`` of the same rows in the same batches, in this
  process, straight into the same database: the ceiling the API is measured against;
- latency of single appends (``POST .../messages``), sequential, p50 and p99.

The goal is an API/raw ratio of at least 0.5. Both sides run on the same machine, one after
the other; a ratio is comparable across machines, the absolute numbers are not. Run with
``make bench``.
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
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import msgspec

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from server.chat.tables import ChatMessage, ChatSession
from server.db import bind_tables, engine_from_url
from tests.support.live_server import serve

BATCH = 200
BATCHES = 25
SINGLE_APPENDS = 300
WARMUP_BATCHES = 3
ROUNDS = 3
POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
#: A typical chat turn: a few hundred characters.
CONTENT = (
    "The lighthouse keeper smiled and set the kettle on the stove. "
    "'Storms come and go,' she said, 'but the light stays on.' "
) * 3

SERVER_ENV = {"RATE_LIMIT_PER_MINUTE": "100000000"}
JSON = {"content-type": "application/json"}


def _messages(count: int, first_seq: int = 0) -> list[dict[str, Any]]:
    created = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)
    return [
        {
            "clientMessageId": str(uuid.uuid4()),
            "role": "user" if seq % 2 == 0 else "assistant",
            "content": CONTENT,
            "seq": seq,
            "createdAt": (created + datetime.timedelta(seconds=seq)).isoformat(),
            "modelId": "Qwen3-4B-q4f16_1-MLC",
            "stats": {"decodeTokensPerS": 31.5, "completionTokens": 120},
        }
        for seq in range(first_seq, first_seq + count)
    ]


class Client:
    """A logged-in browser with one chat session."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=60)
        self.http.get("/api/v1/auth/me")
        self.http.headers["x-csrftoken"] = self.http.cookies["csrftoken"]
        name = f"bench_{uuid.uuid4().hex[:8]}"
        self._ok(
            self.http.post(
                "/api/v1/auth/register", json={"username": name, "password": "bench password"}
            )
        )
        self.http.headers["x-csrftoken"] = self.http.cookies["csrftoken"]  # fresh at login
        self.session_id = self.new_session()

    @staticmethod
    def _ok(response: httpx.Response) -> httpx.Response:
        if response.status_code not in {200, 201}:
            raise RuntimeError(f"{response.status_code}: {response.text}")
        return response

    def new_session(self) -> str:
        body = {
            "clientSessionId": str(uuid.uuid4()),
            "characterId": "bench",
            "characterName": "Bench",
            "modelId": "m",
            "createdAt": "2025-01-01T00:00:00Z",
        }
        return str(
            self._ok(self.http.post("/api/v1/character-chat/sessions", json=body)).json()["id"]
        )

    def batch(self, body: bytes) -> None:
        """POST a pre-encoded batch (the client's JSON encoding is not the server's cost)."""
        url = f"/api/v1/character-chat/sessions/{self.session_id}/messages/batch"
        response = self.http.post(url, content=body, headers=JSON)
        results = self._ok(response).json()["results"]
        if any(result["status"] != 201 for result in results):
            raise RuntimeError(f"not all stored: {results[:3]}")

    def append(self, body: bytes) -> None:
        url = f"/api/v1/character-chat/sessions/{self.session_id}/messages"
        self._ok(self.http.post(url, content=body, headers=JSON))


def _rows(session_id: uuid.UUID, messages: list[dict[str, Any]]) -> list[ChatMessage]:
    return [
        ChatMessage(
            id=uuid.uuid4(),
            session=session_id,
            client_message_id=uuid.UUID(message["clientMessageId"]),
            role=message["role"],
            content=message["content"],
            seq=message["seq"],
            created_at=datetime.datetime.fromisoformat(message["createdAt"]),
            model_id=message["modelId"],
            stats=message["stats"],
        )
        for message in messages
    ]


async def _raw_insert_rate(
    database_url: str, session_id: str, batches: list[list[dict[str, Any]]]
) -> float:
    """Messages/s of plain ``ChatMessage.insert(*rows)`` (rows built from the same messages),
    one batch per statement: no HTTP, no JSON, no validation, no idempotency."""
    engine = engine_from_url(database_url)
    bind_tables(engine)
    if engine.engine_type == "postgres":
        await engine.start_connection_pool(min_size=1, max_size=1)
    try:
        for batch in batches[:WARMUP_BATCHES]:
            await ChatMessage.insert(*_rows(uuid.UUID(session_id), batch))
        started = time.perf_counter()
        for batch in batches[WARMUP_BATCHES:]:
            await ChatMessage.insert(*_rows(uuid.UUID(session_id), batch))
        elapsed = time.perf_counter() - started
        assert await ChatMessage.count().where(ChatMessage.session == session_id) == sum(
            map(len, batches)
        )
        assert await ChatSession.exists().where(ChatSession.id == session_id)
    finally:
        if engine.engine_type == "postgres":
            await engine.close_connection_pool()
    return BATCH * (len(batches) - WARMUP_BATCHES) / elapsed


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _api_rate(client: Client) -> float:
    """Messages/s through the batch endpoint, into a new session."""
    client.session_id = client.new_session()
    bodies = [
        msgspec.json.encode({"messages": _messages(BATCH, i * BATCH)})
        for i in range(WARMUP_BATCHES + BATCHES)
    ]
    for body in bodies[:WARMUP_BATCHES]:
        client.batch(body)
    started = time.perf_counter()
    for body in bodies[WARMUP_BATCHES:]:
        client.batch(body)
    return BATCH * BATCHES / (time.perf_counter() - started)


def measure(database_url: str, data_dir: Path) -> dict[str, float]:
    """Batch API rate, raw insert rate (medians of interleaved rounds: the machine may be busy
    with other work, which then hits both sides alike) and single-append latencies."""
    api_rates: list[float] = []
    raw_rates: list[float] = []
    with serve(data_dir, {"DATABASE_URL": database_url, **SERVER_ENV}) as server:
        client = Client(server.url)
        for _ in range(ROUNDS):
            api_rates.append(_api_rate(client))
            raw_batches = [_messages(BATCH, i * BATCH) for i in range(WARMUP_BATCHES + BATCHES)]
            raw_session = client.new_session()
            raw_rates.append(asyncio.run(_raw_insert_rate(database_url, raw_session, raw_batches)))

        client.session_id = client.new_session()
        latencies = []
        for body in map(msgspec.json.encode, _messages(SINGLE_APPENDS)):
            started = time.perf_counter()
            client.append(body)
            latencies.append(time.perf_counter() - started)
        client.http.close()
    return {
        "raw": statistics.median(raw_rates),
        "api": statistics.median(api_rates),
        "p50": _percentile(latencies, 0.50) * 1000,
        "p99": _percentile(latencies, 0.99) * 1000,
    }


async def _admin(url: str, sql: str) -> None:
    connection = await asyncpg.connect(url, timeout=5)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@contextmanager
def postgres_database() -> Iterator[str]:
    name = f"chat_bench_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(POSTGRES_URL, f'CREATE DATABASE "{name}"'))
    try:
        yield urlunsplit(urlsplit(POSTGRES_URL)._replace(path=f"/{name}"))
    finally:
        asyncio.run(_admin(POSTGRES_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def main() -> None:
    results: dict[str, dict[str, float] | str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        results["sqlite"] = measure(f"sqlite:///{Path(tmp) / 'bench.sqlite'}", Path(tmp))
    try:
        with tempfile.TemporaryDirectory() as tmp, postgres_database() as url:
            results["postgres"] = measure(url, Path(tmp))
    except (OSError, asyncpg.PostgresError) as exc:
        results["postgres"] = f"skipped: PostgreSQL not reachable at {POSTGRES_URL} ({exc})"

    print(
        f"ingest: {BATCH * BATCHES} messages in batches of {BATCH}, one client, "
        f"median of {ROUNDS} interleaved rounds (messages/s)"
    )
    print(
        f"{'engine':10} {'raw insert':>11} {'batch API':>10} {'API/raw':>8}   single append p50 / p99 (ms)"
    )
    for engine, result in results.items():
        if isinstance(result, str):
            print(f"{engine:10} {result}")
            continue
        ratio = result["api"] / result["raw"]
        print(
            f"{engine:10} {result['raw']:11,.0f} {result['api']:10,.0f} {ratio:8.2f}"
            f"   {result['p50']:6.2f} / {result['p99']:6.2f}"
        )
    print("goal: API/raw >= 0.50")


if __name__ == "__main__":
    main()
