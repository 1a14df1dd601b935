"""OutboxDbStore behaves like MemoryStore: the SyncWorker scenarios of test_outbox_sync, re-run here
on OutboxDbStore(MemoryDatabase()), plus what only a shared database has (tabs, crashes, races).

The scenarios are imported, not copied: pytest collects them again in this module, where the
``store`` fixture below is an OutboxDbStore.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from app.outbox import NetworkError, SyncWorker, message_key, session_key
from app.storage.database import OUTBOX, OUTBOX_META, SESSION_MAP, Keys, MemoryDatabase, Rows
from app.storage.outbox_store import OrderClock, OutboxDbStore, outbox_adds
from tests.support.outbox_doubles import FakeClock, run_until_idle
from tests.unit.test_outbox_sync import (  # noqa: F401 - the scenarios, collected again here
    LOST,
    NOW,
    Crash,
    FakeServer,
    Fault,
    chat,
    expected,
    make_worker,
    message,
    session,
    test_5xx_backoff_grows_per_entry_and_is_capped,
    test_5xx_backs_off_that_session_only,
    test_120_messages_go_in_three_batches,
    test_401_on_a_batch_pauses_too,
    test_401_pauses_everything_until_resume,
    test_404_on_the_batch_fails_its_messages,
    test_409_on_different_content_fails_and_200_replay_succeeds,
    test_413_splits_the_batch_and_fails_only_what_is_too_big,
    test_429_waits_at_least_retry_after,
    test_429_without_retry_after_backs_off,
    test_503_with_retry_after_holds_everything,
    test_a_lost_answer_is_replayed_and_stored_once,
    test_a_malformed_batch_answer_is_retried,
    test_a_network_error_stops_the_flush_and_holds_the_outbox,
    test_a_refused_session_blocks_its_messages_but_not_other_sessions,
    test_a_session_answer_without_an_id_is_retried,
    test_a_session_is_created_before_its_messages,
    test_a_waiting_message_holds_back_later_ones_of_its_session,
    test_batches_also_stay_under_a_byte_budget,
    test_discarding_a_refused_session_fails_its_messages_clearly,
    test_flaky_network_and_server_still_store_each_message_exactly_once,
    test_messages_go_in_seq_order_whatever_the_enqueue_order,
    test_mixed_batch_results_are_applied_per_item,
    test_network_backoff_grows_and_is_capped,
    test_next_wakeup,
    test_retry_and_discard_of_unknown_keys,
    test_retrying_a_failed_message,
    test_retrying_a_refused_session_sends_it_and_its_messages,
    test_sessions_flush_in_creation_order,
    test_state_counts,
    test_wake_lifts_a_network_hold_at_once,
)


class InspectableStore(OutboxDbStore):
    """An OutboxDbStore with MemoryStore's ``records``/``sessions``/``meta`` views, which the
    imported scenarios read (read-only) to check what is stored."""

    db: MemoryDatabase

    @property
    def records(self) -> dict[str, dict[str, Any]]:
        return self.db.snapshot()[OUTBOX]

    @property
    def sessions(self) -> dict[str, str]:
        rows = self.db.snapshot()[SESSION_MAP].values()
        return {row["clientSessionId"]: row["serverSessionId"] for row in rows}

    @property
    def meta(self) -> dict[str, Any]:
        return {row["name"]: row["value"] for row in self.db.snapshot()[OUTBOX_META].values()}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def db() -> MemoryDatabase:
    return MemoryDatabase()


@pytest.fixture
def store(db: MemoryDatabase) -> InspectableStore:
    return InspectableStore(db)


@pytest.fixture
def server(clock: FakeClock) -> FakeServer:
    return FakeServer(clock)


@pytest.fixture
def worker(store: InspectableStore, server: FakeServer, clock: FakeClock) -> SyncWorker:
    return make_worker(store, server, clock)  # type: ignore[arg-type]


# -- what differs from MemoryStore: orders come from a clock, not a count -------------------------


def test_orders_increase_even_when_the_clock_stands_still_or_goes_back() -> None:
    times = iter([100, 100, 100, 50, 400])
    orders = OrderClock(lambda: next(times))
    assert [orders.next() for _ in range(5)] == [100, 101, 102, 103, 400]


def test_default_orders_are_microseconds_that_js_numbers_hold_exactly() -> None:
    order = OrderClock().next()
    assert 1_600_000_000 * 10**6 < order < 2**53


def test_outbox_adds_stamp_an_order_on_each_entry() -> None:
    orders = OrderClock(lambda: 7)
    adds = outbox_adds([session("a"), message("a", 0)], orders=orders)
    assert [(store, value["key"], value["order"]) for store, value in adds] == [
        (OUTBOX, session_key("a"), 7),
        (OUTBOX, message_key("a", "a-m0"), 8),
    ]


async def test_enqueue_is_idempotent(store: InspectableStore) -> None:
    assert await store.enqueue([session("a"), message("a", 0)]) == [
        session_key("a"),
        message_key("a", "a-m0"),
    ]
    first = {e.key: e.order for e in await store.list_entries()}
    assert await store.enqueue([session("a"), message("a", 0), message("a", 1)]) == [
        message_key("a", "a-m1")
    ]
    entries = await store.list_entries()
    assert [e.key for e in entries] == [
        session_key("a"),
        message_key("a", "a-m0"),
        message_key("a", "a-m1"),
    ]
    assert {e.key: e.order for e in entries if e.key in first} == first  # untouched
    orders = [e.order for e in entries]
    assert orders == sorted(orders)
    assert len(set(orders)) == 3
    assert await store.enqueue([]) == []


async def test_an_update_never_recreates_a_discarded_entry(store: InspectableStore) -> None:
    await chat(store, "a", 1)  # type: ignore[arg-type]
    entry = await store.get(session_key("a"))
    assert entry is not None
    other_tab = OutboxDbStore(store.db)
    await other_tab.apply(delete=[session_key("a")])
    await store.apply(update=[entry.rescheduled(NOW + 5, None)])
    assert await store.get(session_key("a")) is None


async def test_a_key_both_updated_and_deleted_is_deleted(store: InspectableStore) -> None:
    await chat(store, "a", 0)  # type: ignore[arg-type]
    entry = await store.get(session_key("a"))
    assert entry is not None
    await store.apply(update=[entry], delete=[entry.key, entry.key])
    assert store.records == {}


async def test_meta_and_session_map(store: InspectableStore) -> None:
    assert await store.get_meta("hold") is None
    await store.set_meta("hold", {"until": 1.5, "reason": "network"})
    assert await store.get_meta("hold") == {"until": 1.5, "reason": "network"}
    await store.set_meta("hold", None)
    assert await store.get_meta("hold") is None
    assert store.meta == {}
    await store.set_meta("hold", None)  # removing twice is fine
    assert await store.get_server_session_id("a") is None
    await store.set_server_session_id("a", "srv-1")
    assert await store.get_server_session_id("a") == "srv-1"


async def test_an_unreadable_record_is_skipped_and_kept(store: InspectableStore) -> None:
    await chat(store, "a", 1)  # type: ignore[arg-type]
    await store.db.write(puts=[(OUTBOX, {"key": "from-a-newer-version", "v": 99, "order": 0})])
    assert [e.key for e in await store.list_entries()] == [
        session_key("a"),
        message_key("a", "a-m0"),
    ]
    assert await store.get("from-a-newer-version") is None
    assert "from-a-newer-version" in store.records


# -- crashes and tabs ----------------------------------------------------------------------------


class CrashingDatabase(MemoryDatabase):
    """Dies once (before committing) on the chosen kind of write, after the server answered."""

    def __init__(self, point: str, skip: int = 0) -> None:
        super().__init__()
        self.point = point
        self.skip = skip

    async def write(
        self, *, puts: Rows = (), adds: Rows = (), replaces: Rows = (), deletes: Keys = ()
    ) -> list[str]:
        kinds = {"map": any(s == SESSION_MAP for s, _ in puts)}
        kinds["delete"] = any(s == OUTBOX for s, _ in deletes)
        if kinds.get(self.point):
            if self.skip:
                self.skip -= 1
            else:
                self.point = ""
                raise Crash("the tab closed mid-flush")
        return await super().write(puts=puts, adds=adds, replaces=replaces, deletes=deletes)


@pytest.mark.parametrize(
    ("point", "skip"),
    [
        pytest.param("map", 0, id="before-the-session-id-is-kept"),
        pytest.param("delete", 0, id="after-the-session-id-is-kept"),
        pytest.param("delete", 1, id="after-the-first-batch"),
        pytest.param("delete", 2, id="after-the-second-batch"),
    ],
)
async def test_a_crash_between_send_and_ack_stores_everything_once(
    server: FakeServer, clock: FakeClock, point: str, skip: int
) -> None:
    db = CrashingDatabase(point, skip)
    store = InspectableStore(db)
    await chat(store, "a", 60)  # type: ignore[arg-type]
    with pytest.raises(Crash):
        await make_worker(store, server, clock).flush()  # type: ignore[arg-type]
    reloaded = InspectableStore(db)  # the page reloads: a new store on the same database
    await make_worker(reloaded, server, clock).flush()  # type: ignore[arg-type]
    assert reloaded.records == {}
    assert len(server.sessions) == 1
    assert server.stored("a") == expected("a", 60)
    assert server.inserts == 60
    assert 200 in server.answers


@pytest.mark.parametrize("seed", range(6))
async def test_tabs_sharing_the_database_store_each_message_once(
    db: MemoryDatabase, server: FakeServer, clock: FakeClock, seed: int
) -> None:
    """Two tabs write and flush in turn (the Web Lock lets one flush at a time)."""
    rng = random.Random(seed)
    tabs = [InspectableStore(db) for _ in range(2)]
    workers = [make_worker(tab, server, clock) for tab in tabs]  # type: ignore[arg-type]
    counts = {"a": 0, "b": 0}
    for _ in range(30):
        tab = rng.randrange(2)
        csid = rng.choice(["a", "b"])
        await chat(tabs[tab], csid, 2, start=counts[csid])  # type: ignore[arg-type]
        counts[csid] += 2
        server.then(rng.choice([None, None, LOST, NetworkError("offline"), Fault(500)]))
        result = await workers[rng.randrange(2)].flush()
        if result.next_wakeup is not None:
            clock.advance(max(0.0, result.next_wakeup - clock.now()))
    await run_until_idle(workers[0], clock)
    assert tabs[1].records == {}
    for csid, count in counts.items():
        if count:
            assert server.stored(csid) == expected(csid, count)
    assert server.inserts == sum(counts.values())
