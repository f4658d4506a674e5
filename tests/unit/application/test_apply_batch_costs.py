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
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inventory_ledger.application.apply_batch import Inbound, apply_batch
from inventory_ledger.application.cost_tracking import CostTracker
from inventory_ledger.application.ports import BatchStart, RetryableConflictError
from inventory_ledger.domain.balance import fold
from inventory_ledger.domain.books import replay
from inventory_ledger.domain.cost_books import replay_costs
from inventory_ledger.domain.cost_queries import lot_records, usage_records
from inventory_ledger.domain.events import Event
from inventory_ledger.domain.lot import LotRecord
from inventory_ledger.domain.usage import UsageRecord
from tests.unit.application.memory_store import MemoryLedgerStore, MemoryUnitOfWork
from tests.unit.domain.cost.row_store import RowStore
from tests.unit.domain.cost.streams import streams
from tests.unit.domain.cost.support import received, shipped

pytestmark = pytest.mark.unit


def _deliver(
    store: MemoryLedgerStore, events: list[Event], rnd: random.Random
) -> tuple[int, set[str]]:
    def new_tracker() -> CostTracker:
        # whole history, or only an item's last step or two; the cost graph whole in memory,
        # or only its newest entry or three per map (the rest in a cold store)
        return CostTracker(
            history_steps=rnd.choice([0, 1, 2]),
            resident_entries=rnd.choice([0, 1, 3]),
            cold_store=RowStore,
        )

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


class _FailingStore(MemoryLedgerStore):
    """Fails the next unit of work once: at its first read, or at its commit."""

    def __init__(self) -> None:
        super().__init__()
        self.fail: str | None = None

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[MemoryUnitOfWork]:
        fail, self.fail = self.fail, None
        async with super().unit_of_work() as uow:
            if fail == "begin":
                raise RetryableConflictError("e.g. a statement timeout waiting for the head")
            yield uow
            if fail == "commit":
                raise RetryableConflictError("e.g. a serialization failure at the commit")


def test_dropped_books_are_built_from_the_log_before_the_head_is_taken() -> None:
    """The books of the whole log are built by reads that lock nothing; under the head lock
    the batch only catches up on what was appended since."""
    store, costs = MemoryLedgerStore(), CostTracker()
    events = [received("r1", 1, "A", 2, unit_cost=5), shipped("s1", 2, "A", 1)]
    at_lock: list[int] = []
    lock = MemoryUnitOfWork.begin

    async def begin(uow: MemoryUnitOfWork, *args: Any, **kwargs: Any) -> BatchStart:
        at_lock.append(costs.position)
        return await lock(uow, *args, **kwargs)

    async def go() -> None:
        for event in events:
            await apply_batch(store, [Inbound(event)], costs=costs)
        costs.invalidate()
        await apply_batch(store, [Inbound(shipped("s2", 3, "A", 1))], costs=costs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(MemoryUnitOfWork, "begin", begin)
        asyncio.run(go())
    assert at_lock == [0, 1, 2]  # the last: rebuilt from the log (2 entries) before the lock
    assert costs.rebuilds == 2
    assert costs.position == 3


def test_only_a_failure_after_cost_work_drops_the_books() -> None:
    """Waiting for the log head and failing keeps the books; failing after applying drops them.

    Dropped books are rebuilt from the whole log under the head lock: over a long history
    that outlasts the other instances' statement timeout, and they must not drop theirs.
    """
    store, costs = _FailingStore(), CostTracker()
    events = [received("r1", 1, "A", 2, unit_cost=5), shipped("s1", 2, "A", 1)]

    async def go() -> None:
        await apply_batch(store, [Inbound(events[0])], costs=costs)
        store.fail = "begin"
        result = await apply_batch(store, [Inbound(events[1])], costs=costs)
        assert result.attempts == 2
        assert costs.rebuilds == 1  # the first batch built them; the failure kept them
        store.fail = "commit"
        result = await apply_batch(store, [Inbound(shipped("s2", 3, "A", 1))], costs=costs)
        assert result.attempts == 2
        assert costs.rebuilds == 2  # applied, not committed: rebuilt from the log

    asyncio.run(go())
    assert not costs.ahead
    assert [e.event_id for e in store.state.cost_log] == ["r1", "s1", "s2"]
