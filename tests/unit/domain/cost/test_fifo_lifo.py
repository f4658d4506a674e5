"""FIFO and LIFO on the same stream, COGS worked by hand.

Receipts: 10 @ 5 (t1), 10 @ 7 (t2); ship 12 (t3); receipt 5 @ 9 (t4); ship 6 (t5).

FIFO: first shipment 10*5 + 2*7 = 64; second 6*7 = 42; left 2 @ 7 + 5 @ 9 = 59.
LIFO: first shipment 10*7 + 2*5 = 80; second 5*9 + 1*5 = 50; left 7 @ 5 = 35.
Either way 64 + 42 + 59 = 80 + 50 + 35 = 165, the cost of everything received.
"""

from __future__ import annotations

import pytest

from inventory_ledger.domain.allocation import CostingMethod
from inventory_ledger.domain.cost_queries import lot_records

from .support import D, books_of, received, shipped, usage_of

pytestmark = pytest.mark.unit

STREAM = [
    received("r1", 1, "A", 10, unit_cost=5),
    received("r2", 2, "A", 10, unit_cost=7),
    shipped("s1", 3, "A", 12),
    received("r3", 4, "A", 5, unit_cost=9),
    shipped("s2", 5, "A", 6),
]


@pytest.mark.parametrize(
    ("method", "first", "second", "left"),
    [(CostingMethod.FIFO, 64, 42, 59), (CostingMethod.LIFO, 80, 50, 35)],
)
def test_cogs_by_costing_method(method: CostingMethod, first: int, second: int, left: int) -> None:
    books = books_of(STREAM, {"A": method})
    assert usage_of(books, "shipment:S-s1/1").cogs == D(first)
    assert usage_of(books, "shipment:S-s2/1").cogs == D(second)
    assert sum(r.remaining_qty * r.unit_cost for r in lot_records(books)) == D(left)


def test_the_method_is_per_item() -> None:
    mirrored = [
        *STREAM,
        received("b1", 1, "B", 1, unit_cost=1),
        received("b2", 2, "B", 1, unit_cost=2),
        shipped("b3", 3, "B", 1),
    ]
    books = books_of(mirrored, {"B": CostingMethod.LIFO})
    assert usage_of(books, "shipment:S-s1/1").cogs == D(64)
    assert usage_of(books, "shipment:S-b3/1").cogs == D(2)
