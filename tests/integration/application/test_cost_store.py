"""The cost side of the unit of work on real Postgres: rows, the cost log, restarts, races."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inventory_ledger.adapters.cold_store import FileColdStore
from inventory_ledger.adapters.contract_events import envelope_to_domain
from inventory_ledger.adapters.postgres.migrations import migrate
from inventory_ledger.adapters.postgres.store import PostgresLedgerStore
from inventory_ledger.application.apply_batch import Inbound, apply_batch
from inventory_ledger.application.cost_tracking import CostTracker
from inventory_ledger.application.dead_letter import MessageSource
from inventory_ledger.domain.cost_books import CostBooks, replay_costs
from inventory_ledger.domain.cost_queries import lot_records, usage_records
from inventory_ledger.domain.cost_translation import NOTHING_TO_COST, facts_of
from inventory_ledger.domain.events import Event
from inventory_ledger.domain.item import ItemKey
from inventory_ledger.simulation import SimulationConfig, generate, valid_events
from tests.conftest import LedgerDatabase
from tests.infra import drop_database, unique_name, with_database
from tests.unit.domain.cost.streams import streams
from tests.unit.domain.cost.support import (
    D,
    item,
    received,
    shipped,
)
from tests.unit.domain.cost.test_aace_flow import FLOW, LOT, SALE

pytestmark = pytest.mark.integration

AACE = FLOW  # the hand-worked flow of the pure tests, now through Postgres


@pytest.fixture
async def pool(ledger_db: LedgerDatabase) -> AsyncIterator[asyncpg.Pool]:
    pool = await asyncpg.create_pool(ledger_db.app_dsn, min_size=1, max_size=4)
    try:
        yield pool
    finally:
        await pool.close()


async def _lots(conn: asyncpg.Connection) -> dict[str, tuple[object, ...]]:
    rows = await conn.fetch(
        "SELECT lot_id, qty, allocated_qty, remaining_qty, unit_cost, cost_status FROM lots"
    )
    return {r["lot_id"]: tuple(r.values())[1:] for r in rows}


async def _usages(conn: asyncpg.Connection) -> dict[str, tuple[object, ...]]:
    rows = await conn.fetch(
        "SELECT usage_id, qty, returned_qty, allocated_qty, unallocated_qty, cogs FROM usages"
    )
    return {r["usage_id"]: tuple(r.values())[1:] for r in rows}


def _expected(
    books: CostBooks,
) -> tuple[dict[str, tuple[object, ...]], dict[str, tuple[object, ...]]]:
    lots = {
        r.lot.lot_id: (r.qty, r.allocated_qty, r.remaining_qty, r.unit_cost, r.cost_status.value)
        for r in lot_records(books)
    }
    usages = {
        r.usage.usage_id: (r.usage.qty, r.returned_qty, r.allocated_qty, r.unallocated_qty, r.cogs)
        for r in usage_records(books)
    }
    return lots, usages


async def test_aace_flow_rows_and_cogs_journal(pool: asyncpg.Pool) -> None:
    store, costs = PostgresLedgerStore(pool), CostTracker()
    for event in AACE:
        result = await apply_batch(store, [Inbound(event)], costs=costs)
        assert result.applied == (event.event_id,)
    async with pool.acquire() as conn:
        lots, usages = await _lots(conn), await _usages(conn)
        journal = await conn.fetch(
            "SELECT event_id, amount, cause FROM cogs_entries WHERE usage_id = $1 ORDER BY id", SALE
        )
        allocations = await conn.fetch("SELECT lot_id, qty, unit_cost FROM allocations")
        log = await conn.fetchval("SELECT position FROM cost_state")
    # bill: (10 * 6.00 + 5.00 freight) / 10 received = 6.5 final; the return gave one back
    assert lots[LOT] == (D(10), D(3), D(7), D("6.5"), "final")
    assert usages[SALE] == (D(4), D(1), D(3), D(0), D("19.5"))
    assert [(r["event_id"], r["amount"], r["cause"]) for r in journal] == [
        ("e3", D(20), "allocation"),
        ("e4", D(6), "revaluation"),
        ("e5", D("-6.5"), "allocation"),
    ]
    assert [tuple(r.values()) for r in allocations] == [(LOT, D(3), D("6.5"))]
    assert log == len(AACE)
    assert (lots, usages) == _expected(replay_costs(AACE))


async def test_cost_rejection_posts_nothing_on_either_side(pool: asyncpg.Pool) -> None:
    store, costs = PostgresLedgerStore(pool), CostTracker()
    serial_twice = [
        received("s1", 0, "S", 1, unit_cost=3, serials=("SN-1",)),
        received("s2", 1, "S", 1, unit_cost=3, serials=("SN-1",)),
    ]
    result = await apply_batch(store, [Inbound(e) for e in serial_twice], costs=costs)
    assert result.applied == ("s1",)
    assert [(r.event_id, r.reason) for r in result.rejected] == [("s2", "serial_already_in_stock")]
    async with pool.acquire() as conn:
        txns = await conn.fetchval("SELECT count(*) FROM transactions WHERE event_id = 's2'")
        claimed = await conn.fetchval("SELECT count(*) FROM processed_events WHERE event_id = 's2'")
        logged = await conn.fetchval(
            "SELECT array_agg(event_id) FROM cost_events WHERE event_id LIKE 's%'"
        )
    assert (txns, claimed, logged) == (0, 0, ["s1"])


async def _letters(pool: asyncpg.Pool) -> list[tuple[object, ...]]:
    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT event_id, reason, source_offset FROM dead_letters")
    return [tuple(r.values()) for r in rows]


async def test_a_serial_shipped_before_its_receipt_arrived_is_parked_then_cured(
    pool: asyncpg.Pool,
) -> None:
    store, costs = PostgresLedgerStore(pool), CostTracker()
    ship = shipped("p2", 1, "P", 1, serials=("SN-P",))
    receive = received("p1", 0, "P", 1, unit_cost=4, serials=("SN-P",))
    source = MessageSource("shipping", 0, 7)
    first = await apply_batch(store, [Inbound(ship, source, value=b"{}")], costs=costs)
    assert [(r.event_id, r.reason) for r in first.rejected] == [("p2", "serial_not_in_stock")]
    async with pool.acquire() as conn:
        parked = await conn.fetch(
            "SELECT event_id, serials, reason FROM parked_events WHERE event_id = 'p2'"
        )
        assert [tuple(r.values()) for r in parked] == [
            ("p2", ["main/P#SN-P"], "serial_not_in_stock")
        ]
    second = await apply_batch(store, [Inbound(receive)], costs=CostTracker())  # other instance
    assert second.applied == ("p1", "p2")
    async with pool.acquire() as conn:
        left = await conn.fetchval("SELECT count(*) FROM parked_events WHERE event_id = 'p2'")
        letter = await conn.fetchrow(
            "SELECT reason, replayed_at IS NOT NULL FROM dead_letters WHERE event_id = 'p2'"
        )
        usage = await conn.fetchrow(
            "SELECT allocated_qty, cogs FROM usages WHERE usage_id = 'shipment:S-p2/1'"
        )
    assert left == 0
    assert letter is not None, await _letters(pool)
    assert tuple(letter.values()) == ("serial_not_in_stock", True)
    assert tuple(usage.values()) == (D(1), D(4))


@pytest.mark.timeout(600)
@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.data(), st.integers(0, 2**32 - 1))
async def test_random_streams_restarts_and_two_instances_give_the_pure_rows(
    ledger_db: LedgerDatabase, app_role: str, data: st.DataObject, seed: int
) -> None:
    events: list[Event] = list(data.draw(st.permutations(data.draw(streams(max_groups=10)))))
    rnd = random.Random(seed)
    owner = await asyncpg.connect(ledger_db.owner_dsn)
    name = unique_name("t", "cost_example")
    try:  # a fresh database per example (transactions are immutable: no TRUNCATE)
        await owner.execute(f'CREATE DATABASE "{name}"')
    finally:
        await owner.close()
    owner_dsn = with_database(ledger_db.owner_dsn, name)
    await migrate(owner_dsn, app_role=app_role)
    pool = await asyncpg.create_pool(with_database(ledger_db.app_dsn, name), min_size=1, max_size=4)
    # each may keep the whole history, or drop all but an item's last steps or two; and
    # keep the cost graph whole in memory, or its newest entry or three per map (the rest
    # in its scratch file)
    instances = [
        CostTracker(
            history_steps=rnd.choice([0, 1, 2]),
            resident_entries=rnd.choice([0, 1, 3]),
            cold_store=FileColdStore,
        )
        for _ in range(2)
    ]
    try:
        store = PostgresLedgerStore(pool)
        chunks = []
        i = 0
        while i < len(events):
            size = rnd.randint(1, 8)
            chunks.append(events[i : i + size])
            i += size

        async def run(chunk: list[Event]) -> None:
            tracker = instances[rnd.random() < 0.5]
            if rnd.random() < 0.1:
                tracker.invalidate()  # as after a failed commit: rebuilt from the log
            await apply_batch(store, [Inbound(e) for e in chunk], costs=tracker)

        for k in range(0, len(chunks), 2):  # two batches at a time, racing
            await asyncio.gather(*(run(c) for c in chunks[k : k + 2]))
        async with pool.acquire() as conn:
            order = await conn.fetch("SELECT event_id FROM cost_events ORDER BY position")
            lots, usages = await _lots(conn), await _usages(conn)
            journal = await conn.fetch(
                "SELECT usage_id, sum(amount) AS s FROM cogs_entries GROUP BY usage_id"
            )
    finally:
        for tracker in instances:
            tracker.close()  # its scratch file and writer thread
        await pool.close()
        await drop_database(ledger_db.owner_dsn, name)
    by_id = {e.event_id: e for e in events}
    books = replay_costs([by_id[r["event_id"]] for r in order])  # the order they were applied
    assert (lots, usages) == _expected(books)
    assert {r["usage_id"]: r["s"] for r in journal if r["s"]} == {
        u: c for u, c in books.cogs.items() if c
    }


async def test_a_late_receipt_reaching_dropped_history_rebuilds_the_item_from_the_log(
    pool: asyncpg.Pool,
) -> None:
    """An item keeps its last step only; a receipt dated before its shipments comes late."""
    store, costs = PostgresLedgerStore(pool), CostTracker(history_steps=1)
    a, b = "LATE-A", "LATE-B"  # not in the module's other tests (they share the database)
    early = [
        received("late-r1", 1, a, 2, unit_cost=5),
        shipped("late-s1", 3, a, 2),
        received("late-r2", 4, a, 2, unit_cost=7),
        shipped("late-s2", 5, a, 1),
        shipped("late-s3", 6, b, 1),
    ]
    late = [received("late-r0", 2, a, 5, unit_cost=3), shipped("late-s4", 7, b, 1)]
    for event in early:
        await apply_batch(store, [Inbound(event)], costs=costs)
    assert costs.ledger.items[item(a)].floor is not None  # steps dropped after the batches
    before = costs.restores
    await apply_batch(store, [Inbound(e) for e in late], costs=costs)
    assert costs.restores == before + 1  # A only: B's new usage is later than all it kept
    async with pool.acquire() as conn:
        lots = await _lots(conn)
        usages = await _usages(conn)
    expected_lots, expected_usages = _expected(replay_costs([*early, *late]))
    assert {k: v for k, v in lots.items() if k in expected_lots} == expected_lots
    assert {k: v for k, v in usages.items() if k in expected_usages} == expected_usages


async def test_catching_up_on_a_late_receipt_rebuilds_the_item_from_the_log(
    pool: asyncpg.Pool,
) -> None:
    """Another instance logged an event that reaches this one's dropped steps."""
    store = PostgresLedgerStore(pool)
    this, other = CostTracker(history_steps=1), CostTracker(history_steps=1)
    a = "CATCH-A"
    early = [
        received("catch-r1", 1, a, 2, unit_cost=5),
        shipped("catch-s1", 3, a, 2),
        received("catch-r2", 4, a, 2, unit_cost=7),
        shipped("catch-s2", 5, a, 1),
    ]
    late = received("catch-r0", 2, a, 5, unit_cost=3)
    after = shipped("catch-s3", 6, a, 1)
    for event in early:
        await apply_batch(store, [Inbound(event)], costs=this)
    await apply_batch(store, [Inbound(late)], costs=other)  # built whole from the log
    before = this.restores
    await apply_batch(store, [Inbound(after)], costs=this)  # catches up on ``late`` first
    assert this.restores == before + 1
    async with pool.acquire() as conn:
        lots, usages = await _lots(conn), await _usages(conn)
    expected_lots, expected_usages = _expected(replay_costs([*early, late, after]))
    assert {k: v for k, v in lots.items() if k in expected_lots} == expected_lots
    assert {k: v for k, v in usages.items() if k in expected_usages} == expected_usages


async def test_the_log_is_indexed_by_every_item_an_event_posts_to(pool: asyncpg.Pool) -> None:
    """Migration 0009's trigger names, for each logged event, every item its facts touch."""
    messages = valid_events(generate(SimulationConfig(events=600, items=8, seed=3)))
    events = [envelope_to_domain(m.value) for m in messages if not isinstance(m.value, bytes)]
    store, costs = PostgresLedgerStore(pool), CostTracker()
    for start in range(0, len(events), 100):
        await apply_batch(store, [Inbound(e) for e in events[start : start + 100]], costs=costs)
    async with pool.acquire() as conn:
        logged = await conn.fetch("SELECT position, event_id FROM cost_events")
        rows = await conn.fetch("SELECT lic, location, position FROM cost_event_items")
    indexed: dict[int, set[ItemKey]] = {}
    for row in rows:
        indexed.setdefault(row["position"], set()).add(ItemKey(row["lic"], row["location"]))
    by_id = {e.event_id: e for e in events}
    checked = 0
    for row in logged:  # (the module's tests share the database)
        event = by_id.get(row["event_id"])
        if event is None or type(event) in NOTHING_TO_COST:
            continue
        touched = set(facts_of(event).items)
        assert touched <= indexed.get(row["position"], set()), event.event_id
        checked += bool(touched)
    assert checked > 300
