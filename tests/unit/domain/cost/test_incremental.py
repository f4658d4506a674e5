"""The incremental fold equals the reference after every event, on random streams.

``CostLedger`` re-costs only what an event reaches and rewinds an item only over its tail;
``apply_cost`` re-evaluates everything (``costing.evaluate``) and re-allocates through
``state_at``. After every event of random streams in random arrival orders: the same
changes (items re-allocated and from where, lots re-costed, COGS journal entries), the same
books, and costs and COGS equal to a full evaluation of the incremental ledger's own inputs.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inventory_ledger.domain.allocation import CostingMethod
from inventory_ledger.domain.cost_books import CostBooks, apply_cost
from inventory_ledger.domain.cost_ledger import CostLedger
from inventory_ledger.domain.costing import evaluate
from inventory_ledger.domain.errors import DomainError
from inventory_ledger.domain.events import AdjustmentKind, Event

from .streams import methods, serial_stories, streams
from .support import D, adj_line, adjustment, item, received, returned, shipped

pytestmark = pytest.mark.unit


def _check_every_event(events: list[Event], chosen: dict[str, CostingMethod]) -> None:
    configured = {item(k): m for k, m in chosen.items()}
    books = CostBooks(methods=configured)
    ledger = CostLedger(methods=configured)
    for event in events:
        try:
            books, expected = apply_cost(event, books)
        except DomainError as error:
            with pytest.raises(type(error)):
                ledger.apply(event)
            continue
        assert ledger.apply(event) == expected
        assert ledger.books() == books
        costs, cogs = evaluate(ledger.graph.inputs)
        assert ledger.graph.costs == costs
        assert ledger.graph.cogs == cogs


@settings(max_examples=300, deadline=None)
@given(st.data(), methods)
def test_incremental_fold_equals_full_evaluation_after_every_event(
    data: st.DataObject, chosen: dict[str, CostingMethod]
) -> None:
    events = list(data.draw(st.permutations(data.draw(streams(max_groups=14)))))
    _check_every_event(events, chosen)


@settings(max_examples=300, deadline=None)
@given(st.data(), methods)
def test_incremental_fold_equals_the_reference_with_serials_among_plain_stock(
    data: st.DataObject, chosen: dict[str, CostingMethod]
) -> None:
    mixed = [*data.draw(streams(max_groups=6)), *data.draw(serial_stories())]
    _check_every_event(list(data.draw(st.permutations(mixed))), chosen)


def test_a_rewind_gives_a_serial_back_to_the_lot_that_held_it_before() -> None:
    """A plain decrease took SN0's unit; SN0 shipped late, came back by a return lot.

    The late receipt of SN1 rewinds to 8: SN0's holder before it is R-s0r (its receipt), not
    none (what undoing the return's restock alone gave), so the shipment of SN0 is served at
    9 from R-s0r once the decrease takes SN1's unit (LIFO), as in business order.
    """
    stream = [
        adjustment("d", 1, AdjustmentKind.DECREASE, (adj_line("1", "A", 1),)),
        received("s0r", 0, "A", 1, unit_cost=10, serials=("SN0",)),
        shipped("s0x", 1, "A", 1, serials=("SN0",)),
        returned("s0t", 2, "A", 1, serials=("SN0",)),
        received("s1r", 0, "A", 1, unit_cost=11, serials=("SN1",)),
    ]
    _check_every_event(stream, {"A": CostingMethod.LIFO})
    ledger = CostLedger(methods={item("A"): CostingMethod.LIFO})
    for event in stream:
        ledger.apply(event)
    assert ledger.allocation_rows("shipment:S-s0x/1") == (("shipment:R-s0r/1:main/A", D(1), D(10)),)


def test_a_late_receipt_rewinds_only_its_tail_and_recosts_only_its_lots() -> None:
    """A backdated receipt serves the shipment waiting after it; B's books are left alone.

    The return lot re-costs too: its "latest lot before" is now the late receipt (@ 3).
    """
    stream = [
        received("r1", 1, "A", 2, unit_cost=5),
        received("rb", 1, "B", 1, unit_cost=7),
        shipped("s1", 3, "A", 2),
        shipped("s2", 4, "A", 2),
        returned("t1", 5, "A", 1, original="s2"),
        received("r0", 2, "A", 5, unit_cost=3),
    ]
    ledger = CostLedger()
    changes = [ledger.apply(event) for event in stream]
    late = changes[-1]
    assert set(late.reallocated) == {item("A")}
    assert set(late.revalued) == {"shipment:R-r0/1:main/A", "shipment:RT-t1/1:main/A"}
    assert {e.usage_id for e in late.cogs} == {"shipment:S-s2/1"}  # FIFO: s1 keeps r1
    assert ledger.graph.cogs["shipment:S-s2/1"] == D(3)  # 2 @ 3 drawn, 1 given back
    _check_every_event(stream, {})


def _cost_cycle(prefix: str = "") -> list[Event]:
    """A division of B waits for the B an assembly of its own A makes (see test_reconcile);
    ``prefix`` keeps its documents apart from a stream's."""
    return [
        adjustment(f"{prefix}d", 1, AdjustmentKind.DIVISION, (adj_line("1", "B", 1),),
                   (adj_line("2", "A", 2),)),
        adjustment(f"{prefix}k", 2, AdjustmentKind.ASSEMBLY,
                   (adj_line("1", "A", 1), adj_line("2", "M", 1)), (adj_line("3", "B", 1),)),
        received(f"{prefix}m", 0, "M", 3, unit_cost=5),
        received(f"{prefix}a", 3, "A", 4, unit_cost=1),
    ]  # fmt: skip


def test_a_cost_cycle_falls_back_to_the_full_evaluation() -> None:
    cycle = _cost_cycle()
    ledger = CostLedger()
    for event in cycle:
        ledger.apply(event)
    assert ledger.graph.tainted
    _check_every_event(cycle, {})


@settings(max_examples=200, deadline=None)
@given(st.data(), methods)
def test_a_cost_cycle_among_other_stock_re_evaluates_only_what_can_read_it(
    data: st.DataObject, chosen: dict[str, CostingMethod]
) -> None:
    """The fallback evaluates, in the full evaluation's order, only the lots downstream of a
    cycle or a change; the books still equal the reference after every event, in any order."""
    stream = [*_cost_cycle("c"), *data.draw(streams(max_groups=8))]
    events = list(data.draw(st.permutations(stream)))
    _check_every_event(events, chosen)
