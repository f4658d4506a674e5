"""Dropping an item's old history changes nothing, and an event reaching back asks for it.

``CostLedger.compact`` drops each item's steps and rows before its last few steps (what
only a backdated event or a return of an old shipment would read); ``apply`` then raises
``HistoryNeeded`` for an event that reaches back, before changing anything, and
``restore`` rebuilds the item from the events applied before. On random streams in random
arrival orders cut into random batches, compacted after every batch to a random length:
the same events are rejected, every batch's changes, dirty marks and records equal those
of books that never drop anything, and so do the books once every item is restored.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inventory_ledger.domain.allocation import CostingMethod
from inventory_ledger.domain.cost_ledger import CostLedger, HistoryNeeded
from inventory_ledger.domain.errors import DomainError
from inventory_ledger.domain.events import Event

from .streams import methods, serial_stories, streams
from .support import item, received, returned, shipped

pytestmark = pytest.mark.unit


class _Compacting:
    """Books compacted after every batch, restored from the applied events on request."""

    def __init__(self, ledger: CostLedger, keep: int) -> None:
        self.ledger, self.keep = ledger, keep
        self.history: list[Event] = []
        self.batch: list[Event] = []
        self.rejected: dict[str, str] = {}
        self.restored = 0

    def prepare(self, events: list[Event]) -> None:
        """What the service does before a batch: restore what its events may reach."""
        for key in sorted(self.ledger.needs_history(events)):
            self.ledger.restore(key, self.history)
            self.restored += 1

    def apply(self, event: Event) -> None:
        try:
            self.ledger.apply(event)  # never HistoryNeeded once prepared
        except DomainError as error:
            self.rejected[event.event_id] = f"{type(error).__name__}: {error}"
            return
        self.batch.append(event)

    def end_batch(self) -> None:
        self.history += self.batch
        self.batch = []
        self.ledger.compact(self.keep)

    def restore_all(self) -> None:
        for key, ledger in sorted(self.ledger.items.items()):
            if ledger.floor is not None:
                self.ledger.restore(key, self.history)


def _apply(ledger: CostLedger, event: Event, rejected: dict[str, str]) -> None:
    try:
        ledger.apply(event)
    except DomainError as error:
        rejected[event.event_id] = f"{type(error).__name__}: {error}"


def _records(ledger: CostLedger) -> tuple[dict[str, object], dict[str, object]]:
    return (
        {lot_id: ledger.lot_record(lot_id) for lot_id in ledger.graph.lots},
        {
            uid: (ledger.usage_record(uid), ledger.allocation_rows(uid))
            for uid in ledger.graph.usages
        },
    )


def _check(
    events: list[Event], cuts: list[int], chosen: dict[str, CostingMethod], keep: int
) -> _Compacting:
    configured = {item(k): m for k, m in chosen.items()}
    whole = CostLedger(methods=configured)
    compacting = _Compacting(CostLedger(methods=configured), keep)
    rejected: dict[str, str] = {}
    start = 0
    for end in [*sorted(set(cuts)), len(events)]:
        batch, start = events[start:end], max(start, end)
        whole.begin_batch()
        compacting.prepare(batch)
        compacting.ledger.begin_batch()
        for event in batch:
            _apply(whole, event, rejected)
            compacting.apply(event)
            assert compacting.rejected == rejected
        assert compacting.ledger.end_batch() == whole.end_batch()
        assert compacting.ledger.take_dirty() == whole.take_dirty()
        assert _records(compacting.ledger) == _records(whole)
        compacting.end_batch()
    compacting.restore_all()
    assert compacting.ledger.books() == whole.books()
    return compacting


@settings(max_examples=400, deadline=None)
@given(st.data(), methods, st.integers(0, 4))
def test_dropping_history_changes_no_batch(
    data: st.DataObject, chosen: dict[str, CostingMethod], keep: int
) -> None:
    events = list(data.draw(st.permutations(data.draw(streams(max_groups=14)))))
    cuts = data.draw(st.lists(st.integers(0, len(events)), max_size=6))
    _check(events, cuts, chosen, keep)


@settings(max_examples=200, deadline=None)
@given(st.data(), methods, st.integers(0, 3))
def test_dropping_history_beside_serial_stories_changes_no_batch(
    data: st.DataObject, chosen: dict[str, CostingMethod], keep: int
) -> None:
    """Plain usage can take serial units: both kinds of stock drop their history."""
    mixed = [*data.draw(streams(max_groups=6)), *data.draw(serial_stories())]
    events = list(data.draw(st.permutations(mixed)))
    cuts = data.draw(st.lists(st.integers(0, len(events)), max_size=6))
    _check(events, cuts, chosen, keep)


@settings(max_examples=300, deadline=None)
@given(st.data(), st.integers(0, 3))
def test_dropping_the_history_of_serial_stories_changes_no_batch(
    data: st.DataObject, keep: int
) -> None:
    """Serial stories out of causal order, with their items' old steps and rows dropped."""
    events = list(data.draw(st.permutations(data.draw(serial_stories()))))
    cuts = data.draw(st.lists(st.integers(0, len(events)), max_size=6))
    _check(events, cuts, {}, keep)


EARLY = [
    received("r1", 1, "A", 2, unit_cost=5),
    shipped("s1", 3, "A", 2),
    received("r2", 4, "A", 2, unit_cost=7),
    shipped("s2", 5, "A", 1),
]


def test_a_backdated_receipt_asks_for_the_history_and_then_equals_the_whole_books() -> None:
    late = received("r0", 2, "A", 5, unit_cost=3)  # before s1: s1 now draws r0 (FIFO)
    ledger = CostLedger()
    for event in EARLY:
        ledger.apply(event)
    assert ledger.compact(1) == 1
    kept = ledger.items[item("A")]
    assert len(kept.steps) == 1
    assert kept.floor is not None
    assert ledger.needs_history([late]) == {item("A")}
    before = _records(ledger)
    with pytest.raises(HistoryNeeded):
        ledger.apply(late)
    assert _records(ledger) == before  # nothing changed
    ledger.restore(item("A"), EARLY)
    assert ledger.items[item("A")].floor is None
    ledger.apply(late)
    whole = CostLedger()
    for event in [*EARLY, late]:
        whole.apply(event)
    assert ledger.books() == whole.books()
    assert _records(ledger) == _records(whole)


def test_a_return_of_a_shipment_before_the_floor_asks_for_the_history() -> None:
    late_return = returned("t1", 6, "A", 1, original="s1")  # s1 (at 3) is before r2's floor
    ledger = CostLedger()
    for event in EARLY:
        ledger.apply(event)
    ledger.compact(1)
    assert ledger.needs_history([late_return]) == {item("A")}
    ledger.restore(item("A"), EARLY)
    ledger.apply(late_return)
    whole = CostLedger()
    for event in [*EARLY, late_return]:
        whole.apply(event)
    assert ledger.books() == whole.books()


def test_books_refuse_while_history_is_dropped() -> None:
    ledger = CostLedger()
    for event in [received("r1", 1, "A", 2, unit_cost=5), shipped("s1", 3, "A", 2)]:
        ledger.apply(event)
    ledger.compact(0)
    with pytest.raises(RuntimeError, match="restore"):
        ledger.books()
