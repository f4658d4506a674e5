"""The store's contract for re-allocating one item from a moment, worked by hand.

The store does not replay history: it builds the item's state just before ``since`` from
aggregates of its tables — free quantity and first-available moment per open lot, pending
usage, serial holders, the net pieces returns may give back — and passes only the steps
from ``since`` on to :func:`resume`. Here: item A (LIFO) has 10 @ 5 received at t1 and 2
shipped at t2; a receipt of 10 @ 3 dated t3 arrives after a shipment of 4 at t5. The state
at t3 is {lot r1: 8 free, first at t1} plus the t2 piece; resuming runs r0 and s1 only, and
gives exactly the rows a full re-run gives from t3 on.
"""

from __future__ import annotations

import pytest

from inventory_ledger.domain.allocation import Allocation, CostingMethod, Step, Supply
from inventory_ledger.domain.allocation_state import AllocationState
from inventory_ledger.domain.cost_books import replay_costs
from inventory_ledger.domain.moment import Moment
from inventory_ledger.domain.reallocation import resume

from .support import D, item, received, shipped

pytestmark = pytest.mark.unit

R1, R0 = "shipment:R-r1/1:main/A", "shipment:R-r0/1:main/A"
STREAM = [
    received("r1", 1, "A", 10, unit_cost=5),
    shipped("s0", 2, "A", 2),
    shipped("s1", 5, "A", 4),
    received("r0", 3, "A", 10, unit_cost=3),
]


def test_resuming_from_aggregates_gives_the_rows_of_a_full_run() -> None:
    books = replay_costs(STREAM, methods={item("A"): CostingMethod.LIFO})
    book = books.items[item("A")]
    steps_known: list[Step] = [*book.supplies, *book.usages.values()]
    at = {step.at.event_id: step.at for step in steps_known}
    since = at["r0"]
    state = AllocationState(
        CostingMethod.LIFO,
        mfr={R1: None, R0: None},
        usages=book.usages,
        free={R1: D(8)},
        first={R1: at["r1"]},
        pieces={(at["s0"], "shipment:S-s0/1", R1): D(2)},
    )
    steps: list[Step] = [Supply(since, R0, D(10)), book.usages["shipment:S-s1/1"]]
    allocations, givebacks = resume(state, steps)
    assert allocations == (Allocation(at["s1"], "shipment:S-s1/1", R0, D(4)),)
    assert givebacks == ()
    assert allocations == tuple(a for a in book.allocations if a.at >= since)
    assert since == Moment(since.at, "r0", "1:1")
