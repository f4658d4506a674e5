"""Books whose cold entries live in a store equal books kept whole in memory.

``spilled_graph`` makes the cost graph's maps, and the item ledgers' lots and usages, move
their oldest entries to a cold store between batches and read them back when asked for
(``domain/spill``). On random streams in random arrival orders cut into random batches,
trimmed after every batch to a random number of entries per map (0: everything leaves), and
with or without the items' old history dropped (``compact``) and rebuilt on request: the
same events are rejected, and every batch's changes, dirty marks and records equal those of
books kept whole, and so do the books.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inventory_ledger.domain.allocation import CostingMethod
from inventory_ledger.domain.cost_ledger import CostLedger
from inventory_ledger.domain.cost_spill import spilled_graph
from inventory_ledger.domain.errors import DomainError
from inventory_ledger.domain.events import Event

from .row_store import RowStore
from .streams import methods, serial_stories, streams
from .support import item, received, returned, shipped

pytestmark = pytest.mark.unit


def _spilled(
    chosen: dict[str, CostingMethod], resident: int, item_resident: int | None = None
) -> tuple[CostLedger, RowStore]:
    store = RowStore()
    graph, spill = spilled_graph(store, resident, item_resident)
    configured = {item(k): m for k, m in chosen.items()}
    return CostLedger(methods=configured, graph=graph, spill=spill), store


def _apply(ledger: CostLedger, event: Event, rejected: dict[str, str]) -> None:
    try:
        ledger.apply(event)
    except DomainError as error:
        rejected[event.event_id] = f"{type(error).__name__}: {error}"


def _records(ledger: CostLedger, whole: CostLedger) -> tuple[object, object]:
    """The records of every lot and usage the whole books know (asked by key: a spilled
    map iterates over what is in memory only)."""
    return (
        {lot_id: ledger.lot_record(lot_id) for lot_id in whole.graph.lots},
        {
            uid: (ledger.usage_record(uid), ledger.allocation_rows(uid))
            for uid in whole.graph.usages
        },
    )


def _check(
    events: list[Event],
    cuts: list[int],
    chosen: dict[str, CostingMethod],
    resident: int,
    item_resident: int | None = None,
    keep: int | None = None,
) -> RowStore:
    whole = CostLedger(methods={item(k): m for k, m in chosen.items()})
    spilled, store = _spilled(chosen, resident, item_resident)
    assert spilled.spill is not None
    rejected: dict[str, str] = {}
    rejected_spilled: dict[str, str] = {}
    applied: list[Event] = []
    start = 0
    for end in [*sorted(set(cuts)), len(events)]:
        batch, start = events[start:end], max(start, end)
        for key in sorted(spilled.needs_history(batch)):  # as the service prepares a batch
            spilled.restore(key, applied)
        whole.begin_batch()
        spilled.begin_batch()
        for event in batch:
            _apply(whole, event, rejected)
            _apply(spilled, event, rejected_spilled)
            assert rejected_spilled == rejected
        assert spilled.end_batch() == whole.end_batch()
        assert spilled.take_dirty() == whole.take_dirty()
        applied += [e for e in batch if e.event_id not in rejected]
        if keep is not None:
            spilled.compact(keep)
        spilled.spill.trim()
        assert _records(spilled, whole) == _records(whole, whole)
    for key, ledger in sorted(spilled.items.items()):
        if ledger.floor is not None:
            spilled.restore(key, applied)
    spilled.spill.trim()
    assert spilled.books() == whole.books()
    assert spilled.spill.cold == 0  # books() read everything back
    return store


_ITEM_RESIDENT = st.none() | st.integers(0, 3)
_KEEP = st.none() | st.integers(0, 3)


@settings(max_examples=300, deadline=None)
@given(st.data(), methods, st.integers(0, 3), _ITEM_RESIDENT, _KEEP)
def test_spilling_cold_entries_changes_no_batch(
    data: st.DataObject,
    chosen: dict[str, CostingMethod],
    resident: int,
    item_resident: int | None,
    keep: int | None,
) -> None:
    events = list(data.draw(st.permutations(data.draw(streams(max_groups=14)))))
    cuts = data.draw(st.lists(st.integers(0, len(events)), max_size=6))
    _check(events, cuts, chosen, resident, item_resident, keep)


@settings(max_examples=150, deadline=None)
@given(st.data(), st.integers(0, 2), _ITEM_RESIDENT, _KEEP)
def test_spilling_beside_serial_stories_changes_no_batch(
    data: st.DataObject, resident: int, item_resident: int | None, keep: int | None
) -> None:
    mixed = [*data.draw(streams(max_groups=6)), *data.draw(serial_stories())]
    events = list(data.draw(st.permutations(mixed)))
    cuts = data.draw(st.lists(st.integers(0, len(events)), max_size=6))
    _check(events, cuts, {}, resident, item_resident, keep)


def test_a_late_return_reads_its_cold_shipment_and_lot_back() -> None:
    """Everything left memory after the first batch; the return reads what it reaches."""
    early = [
        received("r1", 1, "A", 2, unit_cost=5),
        shipped("s1", 3, "A", 2),
        received("r2", 4, "A", 2, unit_cost=7),
    ]
    late = returned("t1", 6, "A", 1, original="s1")
    store = _check([*early, late], [len(early)], {}, 0, item_resident=0)
    assert store.rows == {}  # books() took every row back


def test_a_trimmed_map_reads_a_key_back_once_and_never_resurrects_a_popped_value() -> None:
    spilled, store = _spilled({}, 0)
    assert spilled.spill is not None
    for event in [received("r1", 1, "A", 2, unit_cost=5), shipped("s1", 3, "A", 2)]:
        spilled.apply(event)
    graph = spilled.graph
    (lot_id,) = graph.lots
    (usage_id,) = graph.usages
    assert spilled.spill.trim() == 4  # one row each: the lot, the usage, their documents
    assert dict(graph.lots) == {}
    assert dict(graph.costs) == {}
    assert graph.users.get(lot_id) == {usage_id}  # reads the lot's row back, whole
    assert dict.__contains__(graph.costs, lot_id)
    assert ("lot", lot_id) not in store.rows
    assert graph.net.pop(usage_id)  # the usage's row comes back first, then the pop
    spilled.spill.trim()
    assert usage_id in graph.usages
    assert usage_id not in graph.net  # popped: not read back from the store
    assert "no-such-lot" not in graph.lots
    assert spilled.spill.loads == 3


def test_a_value_set_while_its_row_is_cold_leaves_the_rows_other_values_alone() -> None:
    spilled, store = _spilled({}, 0)
    assert spilled.spill is not None
    spilled.apply(received("r1", 1, "A", 2, unit_cost=5))
    graph = spilled.graph
    (lot_id,) = graph.lots
    lot, cost = graph.lots[lot_id], graph.costs[lot_id]
    spilled.spill.trim()
    graph.qty[lot_id] = Decimal(7)  # set, never read: the row stays cold
    assert spilled.spill.loads == 0
    spilled.spill.trim()
    assert len(store.rows) == 2  # the lot's row (merged) and its document's
    assert graph.lots[lot_id] == lot
    assert graph.costs[lot_id] == cost
    assert graph.qty[lot_id] == Decimal(7)
