"""Usage before any receipt stays unallocated and is allocated when goods arrive.

"Available" means: free quantity of lots received at or before the usage's business time.
A usage that finds none waits (negative on_hand); each later supply serves waiting usages
oldest first, at the supply's own moment. Shipping 5 before any stock, then receiving 3 @ 4
and 4 @ 6 gives COGS 3*4 + 2*6 = 24 and leaves 2 @ 6, in any arrival order.
"""

from __future__ import annotations

import pytest

from inventory_ledger.domain.cost_books import CostBooks, apply_cost
from inventory_ledger.domain.cost_queries import mfr_lot_on_hand

from .support import D, books_of, item, lot_of, received, shipped, usage_of

pytestmark = pytest.mark.unit

SALE = "shipment:S-s1/1"
STREAM = [
    shipped("s1", 1, "A", 5),
    received("r1", 2, "A", 3, unit_cost=4),
    received("r2", 3, "A", 4, unit_cost=6),
]


def test_a_later_receipt_resolves_unallocated_usage() -> None:
    books = CostBooks()
    books, _ = apply_cost(STREAM[0], books)
    sale = usage_of(books, SALE)
    assert (sale.allocated_qty, sale.unallocated_qty, sale.cogs) == (D(0), D(5), D(0))
    books, _ = apply_cost(STREAM[1], books)
    assert usage_of(books, SALE).unallocated_qty == D(2)
    books, _ = apply_cost(STREAM[2], books)
    sale = usage_of(books, SALE)
    assert (sale.allocated_qty, sale.unallocated_qty, sale.cogs) == (D(5), D(0), D(24))
    assert lot_of(books, "shipment:R-r2/1:main/A").remaining_qty == D(2)
    rows = books.items[item("A")].allocations
    assert [(r.at.event_id, r.qty) for r in rows] == [("r1", D(3)), ("r2", D(2))]


def test_any_arrival_order_gives_the_same_allocation() -> None:
    assert books_of(reversed(STREAM)) == books_of(STREAM)
    assert books_of([STREAM[2], STREAM[0], STREAM[1]]) == books_of(STREAM)


def test_a_usage_naming_an_mfr_lot_waits_for_that_lot() -> None:
    stream = [
        shipped("s1", 1, "M", 2, mfr_lot="X"),
        received("r1", 2, "M", 5, unit_cost=3, mfr_lot="Y"),
    ]
    books = books_of(stream)
    assert usage_of(books, SALE).unallocated_qty == D(2)
    assert mfr_lot_on_hand(books, item("M")) == {"Y": D(5), "X": D(-2)}
    books = books_of([*stream, received("r2", 3, "M", 2, unit_cost=4, mfr_lot="X")])
    assert usage_of(books, SALE).cogs == D(8)
    assert mfr_lot_on_hand(books, item("M")) == {"Y": D(5)}
