"""Batch mode equals applying the events one at a time, after every batch.

``CostLedger.begin_batch`` defers re-allocating backdated items and settling costs to
``end_batch``. On random streams in random arrival orders cut into random batches: the same
events are rejected for the same reasons, and after each batch the lots, usages, allocation
rows, books and the COGS journal's Σ per (usage, lot) pair equal those of the per-event fold,
and every lot or usage whose record changed is marked dirty (a store rewrites it).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inventory_ledger.domain.allocation import CostingMethod
from inventory_ledger.domain.cogs import CogsEntry
from inventory_ledger.domain.cost_ledger import CostLedger
from inventory_ledger.domain.errors import DomainError
from inventory_ledger.domain.events import Event
from inventory_ledger.domain.item import ZERO

from .streams import methods, serial_stories, streams
from .support import item, received, returned, shipped

pytestmark = pytest.mark.unit


def _apply(ledger: CostLedger, event: Event, rejected: dict[str, str]) -> list[CogsEntry]:
    try:
        return list(ledger.apply(event).cogs)
    except DomainError as error:
        rejected[event.event_id] = f"{type(error).__name__}: {error}"
        return []


def _sums(entries: Iterable[CogsEntry]) -> dict[tuple[str, str], Decimal]:
    sums: dict[tuple[str, str], Decimal] = {}
    for entry in entries:
        key = (entry.usage_id, entry.lot_id)
        sums[key] = sums.get(key, ZERO) + entry.amount
    return {key: amount for key, amount in sums.items() if amount != ZERO}


def _assert_same(batched: CostLedger, single: CostLedger) -> None:
    assert batched.books() == single.books()
    lots = set(single.graph.lots)
    assert set(batched.graph.lots) == lots
    for lot_id in sorted(lots):
        assert batched.lot_record(lot_id) == single.lot_record(lot_id)
    usages = set(single.graph.usages)
    assert set(batched.graph.usages) == usages
    for usage_id in sorted(usages):
        assert batched.usage_record(usage_id) == single.usage_record(usage_id)
        assert batched.allocation_rows(usage_id) == single.allocation_rows(usage_id)


Records = dict[str, object]


def _records(ledger: CostLedger) -> tuple[Records, Records]:
    """What a store writes per lot and per usage (record and allocation rows)."""
    return (
        {lot_id: ledger.lot_record(lot_id) for lot_id in ledger.graph.lots},
        {
            uid: (ledger.usage_record(uid), ledger.allocation_rows(uid))
            for uid in ledger.graph.usages
        },
    )


def _check(events: list[Event], cuts: list[int], chosen: dict[str, CostingMethod]) -> None:
    """Apply ``events`` one at a time and in batches cut at ``cuts``; compare after each batch."""
    configured = {item(k): m for k, m in chosen.items()}
    single, batched = CostLedger(methods=configured), CostLedger(methods=configured)
    single_rejected: dict[str, str] = {}
    batch_rejected: dict[str, str] = {}
    single_entries: list[CogsEntry] = []
    batch_entries: list[CogsEntry] = []
    start, before = 0, _records(batched)
    for end in [*sorted(set(cuts)), len(events)]:
        batch = events[start:end]
        start = max(start, end)
        batched.begin_batch()
        for event in batch:
            single_entries += _apply(single, event, single_rejected)
            assert _apply(batched, event, batch_rejected) == []  # posted by end_batch
            assert batch_rejected == single_rejected
        changes = batched.end_batch()
        batch_entries += changes.cogs
        applied = [e for e in batch if e.event_id not in batch_rejected]
        if changes.cogs:
            assert {e.event_id for e in changes.cogs} == {applied[-1].event_id}
            latest = max(e.occurred_at for e in applied)
            assert {e.occurred_at for e in changes.cogs} == {latest}
        _assert_same(batched, single)
        assert _sums(batch_entries) == _sums(single_entries)
        lots, usages = batched.take_dirty()
        now = _records(batched)
        assert {
            key for key in now[0].keys() | before[0].keys() if now[0].get(key) != before[0].get(key)
        } <= lots
        assert {
            key for key in now[1].keys() | before[1].keys() if now[1].get(key) != before[1].get(key)
        } <= usages
        before = now


@settings(max_examples=400, deadline=None)
@given(st.data(), methods)
def test_batches_equal_applying_one_event_at_a_time(
    data: st.DataObject, chosen: dict[str, CostingMethod]
) -> None:
    events = list(data.draw(st.permutations(data.draw(streams(max_groups=14)))))
    cuts = data.draw(st.lists(st.integers(0, len(events)), max_size=4))
    _check(events, cuts, chosen)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_serial_stories_in_any_order_batched_equal_one_at_a_time(data: st.DataObject) -> None:
    """Serial stories out of causal order: the serial rules reject the same events."""
    events = list(data.draw(st.permutations(data.draw(serial_stories()))))
    cuts = data.draw(st.lists(st.integers(0, len(events)), max_size=4))
    _check(events, cuts, {})


@settings(max_examples=300, deadline=None)
@given(st.data(), methods)
def test_batches_equal_one_at_a_time_with_serials_among_plain_stock(
    data: st.DataObject, chosen: dict[str, CostingMethod]
) -> None:
    """Serial stories mixed with plain stock, in any order (plain usage can take serial units)."""
    mixed = [*data.draw(streams(max_groups=6)), *data.draw(serial_stories())]
    events = list(data.draw(st.permutations(mixed)))
    cuts = data.draw(st.lists(st.integers(0, len(events)), max_size=4))
    _check(events, cuts, chosen)


def test_events_applied_together_inside_a_batch() -> None:
    """A serial's receipt, shipment and return that arrive late and only hold together."""
    first = [received("r1", 1, "A", 1, unit_cost=5), shipped("s", 6, "A", 1)]
    story = [
        shipped("x", 4, "A", 1, serials=("SN",)),
        returned("t", 5, "A", 1, original="x", serials=("SN",)),
        received("r", 3, "A", 1, unit_cost=9, serials=("SN",)),
    ]
    lifo = {item("A"): CostingMethod.LIFO}  # s, at 6, now draws the returned SN0
    single, batched = CostLedger(methods=lifo), CostLedger(methods=lifo)
    for event in first:
        single.apply(event)
        batched.apply(event)
    single_entries = [e for c in single.apply_together(story) for e in c.cogs]
    batched.begin_batch()
    assert not any(c.cogs for c in batched.apply_together(story))
    assert batched.items[item("A")].pending is not None  # backdated: re-allocated at the end
    batch_entries = batched.end_batch().cogs
    _assert_same(batched, single)
    assert _sums(batch_entries) == _sums(single_entries)
    assert {e.event_id for e in batch_entries} == {"t"}  # the last applied (business order)


def test_a_batch_reallocates_a_backdated_item_once_from_its_earliest_point() -> None:
    """Two late receipts in one batch: A is re-allocated once, from the earlier one."""
    stream = [
        received("r1", 1, "A", 2, unit_cost=5),
        shipped("s1", 3, "A", 2),
        shipped("s2", 4, "A", 2),
        returned("t1", 5, "A", 1, original="s2"),
        received("r0", 2, "A", 5, unit_cost=3),
        received("rz", 0, "A", 1, unit_cost=1),
    ]
    _check(stream, [4], {})
    ledger = CostLedger()
    for event in stream[:4]:
        ledger.apply(event)
    ledger.begin_batch()
    for event in stream[4:]:
        assert not ledger.apply(event).cogs
    assert ledger.items[item("A")].pending is not None
    changes = ledger.end_batch()
    assert ledger.items[item("A")].pending is None
    assert set(changes.reallocated) == {item("A")}
    assert changes.reallocated[item("A")].event_id == "rz"
    assert {e.event_id for e in changes.cogs} == {"rz"}
