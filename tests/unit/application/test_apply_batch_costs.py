"""apply_batch with cost tracking: the rows it writes are the pure cost books' records.

Random cost streams (receipts, bills, shipments that outrun stock, returns, assemblies,
divisions, jobs) are delivered in random batches with redeliveries (within a batch, and of
an earlier batch's event), while the process "restarts" (a fresh tracker rebuilds from the
cost log) and a second instance takes turns (it catches up from the log). The lot, usage
and allocation rows accumulated from every batch's writes equal the records of
``replay_costs`` on the same events, and the quantity side equals ``replay`` of the events
the cost side accepted.
"""

from __future__ import annotations

import asyncio
import random
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inventory_ledger.application.apply_batch import Inbound, apply_batch
from inventory_ledger.application.cost_tracking import CostTracker
from inventory_ledger.domain.balance import fold
from inventory_ledger.domain.books import replay
from inventory_ledger.domain.cost_books import replay_costs
from inventory_ledger.domain.cost_queries import lot_records, usage_records
from inventory_ledger.domain.events import Event
from inventory_ledger.domain.lot import LotRecord
from inventory_ledger.domain.usage import UsageRecord
from tests.unit.application.memory_store import MemoryLedgerStore
from tests.unit.domain.cost.streams import streams

pytestmark = pytest.mark.unit


def _deliver(
    store: MemoryLedgerStore, events: list[Event], rnd: random.Random
) -> tuple[int, set[str]]:
    def new_tracker() -> CostTracker:  # whole history, or only an item's last step or two
        return CostTracker(history_steps=rnd.choice([0, 1, 2]))

    trackers = [new_tracker(), new_tracker()]
    rejected: set[str] = set()

    async def go() -> tuple[int, set[str]]:
        i = 0
        while i < len(events):
            size = rnd.randint(1, 6)
            batch = events[i : i + size]
            if rnd.random() < 0.2:
                batch = batch + batch[:1]  # a redelivery inside the batch
            if i and rnd.random() < 0.2:  # one of an earlier batch (the claims refuse it)
                batch = [events[rnd.randrange(i)], *batch]
            if rnd.random() < 0.1:
                trackers[0] = new_tracker()  # a restart: rebuilt from the cost log
            tracker = trackers[rnd.random() < 0.3]  # the other instance, now and then
            result = await apply_batch(store, [Inbound(e) for e in batch], costs=tracker)
            rejected.update(r.event_id for r in result.rejected)
            i += size
        return sum(t.rebuilds for t in trackers), rejected

    return asyncio.run(go())


def _rows(
    store: MemoryLedgerStore,
) -> tuple[
    dict[str, LotRecord],
    dict[str, UsageRecord],
    dict[str, tuple[tuple[str, Decimal, Decimal], ...]],
]:
    lots: dict[str, LotRecord] = {}
    usages: dict[str, UsageRecord] = {}
    allocations: dict[str, tuple[tuple[str, Decimal, Decimal], ...]] = {}
    for write in store.state.cost_writes:
        for lot_id in write.gone_lots:
            lots.pop(lot_id, None)
        lots.update((r.lot.lot_id, r) for r in write.lots)
        usages.update((r.usage.usage_id, r) for r in write.usages)
        allocations.update((a.usage_id, a.rows) for a in write.allocations)
    return lots, usages, allocations


@settings(max_examples=150, deadline=None)
@given(st.data(), st.integers(0, 2**32 - 1))
def test_rows_written_batch_by_batch_equal_the_pure_cost_books(
    data: st.DataObject, seed: int
) -> None:
    events = list(data.draw(st.permutations(data.draw(streams(max_groups=10)))))
    store = MemoryLedgerStore()
    rebuilds, rejected = _deliver(store, events, random.Random(seed))
    assert rebuilds >= 1

    books = replay_costs(events)
    accepted = [e for e in events if e.event_id not in books.rejected]
    assert [e.event_id for e in store.state.cost_log] == [e.event_id for e in accepted]
    assert rejected == set(books.rejected)

    lots, usages, allocations = _rows(store)
    assert lots or not any(e.event_type == "shipment.received" for e in accepted)
    assert lots == {r.lot.lot_id: r for r in lot_records(books)}
    assert usages == {r.usage.usage_id: r for r in usage_records(books)}
    for usage_id, rows in allocations.items():
        assert sum((qty for _, qty, _ in rows), Decimal(0)) == usages[usage_id].allocated_qty
    journal: dict[str, Decimal] = {}
    for write in store.state.cost_writes:
        for entry in write.cogs:
            journal[entry.usage_id] = journal.get(entry.usage_id, Decimal(0)) + entry.amount
    assert {u: a for u, a in journal.items() if a} == {
        u: r.cogs for u, r in usages.items() if r.cogs
    }

    oracle = replay(accepted)
    assert fold(store.state.transactions) == oracle.balances
    assert set(store.state.processed) == {e.event_id for e in accepted}
