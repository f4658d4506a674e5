"""A backdated receipt re-allocates only its own item, and only from its own moment.

Item A (LIFO): 10 @ 5 at t1, ship 2 at t2, ship 4 at t5. Item B: its own receipt and sale.
A receipt of 10 @ 3 dated t3 arrives last: the t5 shipment now draws from it (LIFO: the
latest lot), COGS 20 -> 12, posted as -20 on the old lot and +12 on the new one. The t2
shipment's rows (before t3) are kept as they were; item B's books are not touched at all.
"""

from __future__ import annotations

import pytest

from inventory_ledger.domain.allocation import CostingMethod
from inventory_ledger.domain.cogs import CogsCause
from inventory_ledger.domain.cost_books import CostBooks, apply_cost, replay_costs
from inventory_ledger.domain.moment import Moment

from .support import D, books_of, item, received, shipped, usage_of

pytestmark = pytest.mark.unit

STREAM = [
    received("r1", 1, "A", 10, unit_cost=5),
    shipped("s0", 2, "A", 2),
    shipped("s1", 5, "A", 4),
    received("b1", 0, "B", 3, unit_cost=2),
    shipped("b2", 6, "B", 1),
]
LATE = received("r0", 3, "A", 10, unit_cost=3)
METHODS = {item("A"): CostingMethod.LIFO}


def test_only_the_affected_item_is_reallocated_from_the_event_moment() -> None:
    before = replay_costs(STREAM, methods=METHODS)
    after, changes = apply_cost(LATE, before)
    assert changes.reallocated == {item("A"): Moment(LATE.occurred_at, "r0", "1:1")}
    assert after.items[item("B")] is before.items[item("B")]
    kept = [r for r in before.items[item("A")].allocations if r.at.event_id == "s0"]
    assert all(row in after.items[item("A")].allocations for row in kept)
    assert sorted((e.lot_id, e.amount, e.cause) for e in changes.cogs) == [
        ("shipment:R-r0/1:main/A", D(12), CogsCause.ALLOCATION),
        ("shipment:R-r1/1:main/A", D(-20), CogsCause.ALLOCATION),
    ]
    assert usage_of(after, "shipment:S-s1/1").cogs == D(12)
    assert usage_of(after, "shipment:S-s0/1").cogs == D(10)


def test_the_result_equals_the_events_in_business_time_order() -> None:
    in_order = sorted([*STREAM, LATE], key=lambda e: e.occurred_at)
    late = replay_costs([*STREAM, LATE], methods=METHODS)
    assert late == replay_costs(in_order, methods=METHODS)
    assert late == books_of([*STREAM, LATE], {"A": CostingMethod.LIFO})


def test_an_event_after_every_step_runs_only_itself() -> None:
    books, changes = apply_cost(LATE, CostBooks())
    books, changes = apply_cost(shipped("s9", 9, "A", 1), books)
    assert changes.reallocated == {
        item("A"): Moment(shipped("s9", 9, "A", 1).occurred_at, "s9", "0:1")
    }
