"""Give-back: a return naming its shipment goes back to the lots it drew from.

Receipts 2 @ 5 (t1) and 3 @ 7 (t2); ship 4 (t3); 3 come back naming the shipment (t4).
FIFO drew 2 @ 5 then 2 @ 7: most recent first gives back the 2 @ 7, then 1 @ 5 -> COGS 5.
LIFO drew 3 @ 7 then 1 @ 5: the 1 @ 5 goes back first, then 2 @ 7 -> COGS 7.
"""

from __future__ import annotations

import pytest

from inventory_ledger.domain.allocation import CostingMethod
from inventory_ledger.domain.lot import CostStatus

from .support import (
    D,
    bill,
    books_of,
    lot_of,
    po_opened,
    received,
    returned,
    shipped,
    usage_of,
)

pytestmark = pytest.mark.unit

SALE = "shipment:S-s/1"
R1, R2 = "shipment:R-r1/1:main/A", "shipment:R-r2/1:main/A"
STOCK = [received("r1", 1, "A", 2, unit_cost=5), received("r2", 2, "A", 3, unit_cost=7)]


@pytest.mark.parametrize(
    ("method", "cogs", "r1_left", "r2_left"),
    [(CostingMethod.FIFO, 5, 1, 3), (CostingMethod.LIFO, 7, 2, 2)],
)
def test_units_go_back_most_recent_allocation_first(
    method: CostingMethod, cogs: int, r1_left: int, r2_left: int
) -> None:
    stream = [*STOCK, shipped("s", 3, "A", 4), returned("t", 4, "A", 3, original="s")]
    books = books_of(stream, {"A": method})
    sale = usage_of(books, SALE)
    assert (sale.returned_qty, sale.allocated_qty, sale.cogs) == (D(3), D(1), D(cogs))
    assert lot_of(books, R1).remaining_qty == D(r1_left)
    assert lot_of(books, R2).remaining_qty == D(r2_left)


def test_more_returned_than_shipped_restocks_the_rest_into_a_return_lot() -> None:
    books = books_of([*STOCK, shipped("s", 3, "A", 2), returned("t", 4, "A", 3, original="s")])
    assert usage_of(books, SALE).returned_qty == D(2)
    extra = lot_of(books, "shipment:RT-t/1:main/A")
    assert (extra.qty, extra.unit_cost) == (D(1), D(7))


def test_unallocated_units_of_the_shipment_are_cancelled_first() -> None:
    books = books_of([*STOCK, shipped("s", 3, "A", 8), returned("t", 4, "A", 2, original="s")])
    sale = usage_of(books, SALE)
    assert (sale.net_qty, sale.allocated_qty, sale.unallocated_qty) == (D(6), D(5), D(1))
    assert sale.cogs == D(31)


def test_a_return_lot_follows_the_cost_of_the_latest_lot() -> None:
    stream = [
        po_opened("p", 0, "PO", ("L1", "A", 5, 4)),
        received("r", 1, "A", 5, po=("PO", "L1")),
        returned("t", 2, "A", 1),
    ]
    lot = lot_of(books_of(stream), "shipment:RT-t/1:main/A")
    assert (lot.unit_cost, lot.cost_status) == (D(4), CostStatus.ESTIMATED)
    lot = lot_of(books_of([*stream, bill("b", 3, "PO", ("L1", 5, 6))]), lot.lot.lot_id)
    assert (lot.unit_cost, lot.cost_status) == (D(6), CostStatus.FINAL)


def test_a_return_naming_an_unknown_shipment_is_a_return_lot() -> None:
    books = books_of([*STOCK, returned("t", 4, "A", 1, original="nowhere")])
    assert lot_of(books, "shipment:RT-t/1:main/A").qty == D(1)
