"""Ledger cores I and II acceptance: a 100k-event simulated stream on real Postgres, then again.

The stream's topics lag independently (receipts before their POs, shipments of serials before
their receipts...), is applied in batches of 500 with cost tracking, and must give the
quantity books of the pure core and the cost books of the same events in business order.
"""

from __future__ import annotations

import asyncpg
import pytest

from inventory_ledger.adapters.contract_events import envelope_to_domain
from inventory_ledger.adapters.postgres.ledger_reads import balances, reconcile_balances
from inventory_ledger.adapters.postgres.store import PostgresLedgerStore
from inventory_ledger.application.apply_batch import Inbound, apply_batch
from inventory_ledger.application.cost_tracking import CostTracker
from inventory_ledger.domain.books import replay
from inventory_ledger.domain.cost_books import replay_costs
from inventory_ledger.domain.cost_queries import lot_records, usage_records
from inventory_ledger.simulation import SimulationConfig, generate, valid_events
from tests.conftest import LedgerDatabase

pytestmark = pytest.mark.integration

EVENTS = 100_000
BATCH = 500


@pytest.mark.timeout(600)
async def test_100k_stream_in_batches_of_500_then_replayed(ledger_db: LedgerDatabase) -> None:
    messages = list(generate(SimulationConfig(events=EVENTS, seed=11, duplicates=0.01)))
    events = [envelope_to_domain(m.value) for m in messages if not isinstance(m.value, bytes)]
    assert len(events) == EVENTS, "duplicates included: every message is a valid envelope"
    oracle = replay(events)

    pool = await asyncpg.create_pool(ledger_db.app_dsn, min_size=1, max_size=2)
    try:
        store, costs = PostgresLedgerStore(pool), CostTracker()
        first = [
            await apply_batch(store, [Inbound(e) for e in events[i : i + BATCH]], costs=costs)
            for i in range(0, EVENTS, BATCH)
        ]
        again = [
            await apply_batch(store, [Inbound(e) for e in events[i : i + BATCH]], costs=costs)
            for i in range(0, EVENTS, BATCH)
        ]
        async with pool.acquire() as conn:
            report = await reconcile_balances(conn)
            stored = await balances(conn)
            txn_count = await conn.fetchval("SELECT count(*) FROM transactions")
            lots = {
                r["lot_id"]: (r["qty"], r["allocated_qty"], r["unit_cost"])
                for r in await conn.fetch("SELECT lot_id, qty, allocated_qty, unit_cost FROM lots")
            }
            usages = {
                r["usage_id"]: (r["returned_qty"], r["allocated_qty"], r["cogs"])
                for r in await conn.fetch(
                    "SELECT usage_id, returned_qty, allocated_qty, cogs FROM usages"
                )
            }
            parked = await conn.fetchval("SELECT count(*) FROM parked_events")
    finally:
        await pool.close()

    unique = len({m.value["event_id"] for m in valid_events(messages)})  # type: ignore[index]
    assert sum(len(r.applied) for r in first) + len(oracle.rejected) == unique
    assert sum(len(r.duplicates) for r in first) == EVENTS - unique
    assert all(r.applied == () and r.changes == () for r in again), "a replay posts nothing"
    assert report.ok, report.mismatches[:5]
    assert txn_count == len(oracle.transactions)
    want = {item: b for item, b in oracle.balances.items() if not b.is_zero}
    assert {b.item: b.balance for b in stored if not b.balance.is_zero} == want

    assert parked == 0, "every serial story completes once all events are in"
    in_business_order = sorted(events, key=lambda e: (e.occurred_at, e.event_id))
    books = replay_costs(in_business_order)
    assert not books.rejected
    assert lots == {r.lot.lot_id: (r.qty, r.allocated_qty, r.unit_cost) for r in lot_records(books)}
    assert usages == {
        r.usage.usage_id: (r.returned_qty, r.allocated_qty, r.cogs) for r in usage_records(books)
    }
