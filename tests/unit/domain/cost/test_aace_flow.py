"""aACE's own flow, worked by hand: PO -> receive -> bill (final != estimate) -> ship -> return.

PO-1 orders 10 A at an estimated 5.00. All 10 arrive; 4 ship at the estimate (COGS 20.00).
The vendor bills 10 at 6.00 plus 5.00 freight: final unit cost (60 + 5) / 10 = 6.50, so the
4 units already sold get a COGS adjustment of 4 * 1.50 = 6.00 (no silent loss of the sold
share). One unit comes back naming the shipment: it goes back to the purchase lot, reversing
6.50 of COGS.
"""

from __future__ import annotations

import pytest

from inventory_ledger.domain.cogs import CogsCause
from inventory_ledger.domain.cost_books import CostBooks, apply_cost
from inventory_ledger.domain.lot import CostStatus

from .support import D, bill, books_of, lot_of, po_opened, received, returned, shipped, usage_of

pytestmark = pytest.mark.unit

LOT = "purchase_order:PO-1/L1:main/A"
SALE = "shipment:S-e3/1"
FLOW = [
    po_opened("e1", 0, "PO-1", ("L1", "A", 10, "5.00")),
    received("e2", 1, "A", 10, po=("PO-1", "L1")),
    shipped("e3", 2, "A", 4),
    bill("e4", 3, "PO-1", ("L1", 10, "6.00"), freight="5.00"),
    returned("e5", 4, "A", 1, original="e3"),
]


def test_each_step_posts_the_expected_cogs() -> None:
    books = CostBooks()
    books, _ = apply_cost(FLOW[0], books)
    assert lot_of(books, LOT).unit_cost == D("5.00")
    assert lot_of(books, LOT).cost_status is CostStatus.ESTIMATED
    books, _ = apply_cost(FLOW[1], books)
    books, shipped_changes = apply_cost(FLOW[2], books)
    assert [(e.amount, e.cause) for e in shipped_changes.cogs] == [(D(20), CogsCause.ALLOCATION)]
    books, billed = apply_cost(FLOW[3], books)
    assert [(e.usage_id, e.lot_id, e.amount, e.cause) for e in billed.cogs] == [
        (SALE, LOT, D(6), CogsCause.REVALUATION)
    ]
    assert billed.revalued[LOT].unit_cost == D("6.5")
    books, back = apply_cost(FLOW[4], books)
    assert [(e.amount, e.cause) for e in back.cogs] == [(D("-6.5"), CogsCause.ALLOCATION)]


def test_final_books() -> None:
    books = books_of(FLOW)
    lot = lot_of(books, LOT)
    assert (lot.qty, lot.allocated_qty, lot.remaining_qty) == (D(10), D(3), D(7))
    assert (lot.unit_cost, lot.cost_status) == (D("6.5"), CostStatus.FINAL)
    sale = usage_of(books, SALE)
    assert (sale.usage.qty, sale.returned_qty, sale.allocated_qty) == (D(4), D(1), D(3))
    assert sale.cogs == D("19.5")
    assert books.posted == {(SALE, LOT): D("19.5")}


def test_the_bill_arriving_first_gives_the_same_books() -> None:
    assert books_of([FLOW[3], *FLOW[:3], FLOW[4]]) == books_of(FLOW)
    assert books_of(list(reversed(FLOW))) == books_of(FLOW)


def test_a_billed_lot_not_yet_received_is_costed_at_the_billed_unit_cost() -> None:
    books = books_of([FLOW[0], FLOW[3]])
    assert lot_of(books, LOT).unit_cost == D(6)
    assert lot_of(books, LOT).cost_status is CostStatus.FINAL


def test_a_return_without_original_is_a_return_lot_at_the_latest_unit_cost() -> None:
    books = books_of([*FLOW[:4], returned("e6", 5, "A", 2)])
    lot = lot_of(books, "shipment:RT-e6/1:main/A")
    assert (lot.qty, lot.unit_cost, lot.cost_status) == (D(2), D("6.5"), CostStatus.FINAL)
    assert usage_of(books, SALE).cogs == D(26)
