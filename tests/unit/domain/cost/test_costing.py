"""Cost finalization details: freight spread, partial bills, estimate changes, configuration.

* Freight 8 over a bill for 10 A and 30 B (received) is spread by received quantity:
  A (10*2 + 2) / 10 = 2.2, B (30*3 + 6) / 30 = 3.2.
* Two bills for one PO line (4 @ 2, then 6 @ 3) on 10 received: (8 + 18) / 10 = 2.6.
* A changed estimate revalues what was already used (still estimated); an older change
  arriving late does not win (the latest business time does).
* A receipt that names a PO line before the PO itself arrives is costed once it does.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from inventory_ledger.domain.cogs import CogsCause
from inventory_ledger.domain.cost_books import apply_cost, replay_costs
from inventory_ledger.domain.cost_errors import BusinessRuleViolation, CostReason
from inventory_ledger.domain.events import PurchaseOrderChanged, PurchaseOrderLine
from inventory_ledger.domain.lot import CostStatus

from .support import T0, D, bill, books_of, item, lot_of, po_opened, received, returned, shipped

pytestmark = pytest.mark.unit

A_LOT, B_LOT = "purchase_order:PO/L1:main/A", "purchase_order:PO/L2:main/B"


def _changed(eid: str, hours: float, est: int) -> PurchaseOrderChanged:
    line = PurchaseOrderLine(line_id="L1", item=item("A"), qty=D(10), est_unit_cost=D(est))
    return PurchaseOrderChanged(
        event_id=eid, occurred_at=T0 + timedelta(hours=hours), po_id="PO", lines=(line,)
    )


def test_freight_is_spread_over_the_bill_by_received_quantity() -> None:
    books = books_of(
        [
            po_opened("p", 0, "PO", ("L1", "A", 10, 1), ("L2", "B", 30, 1)),
            received("ra", 1, "A", 10, po=("PO", "L1")),
            received("rb", 1, "B", 30, po=("PO", "L2")),
            bill("b", 2, "PO", ("L1", 10, 2), ("L2", 30, 3), freight=8),
        ]
    )
    assert lot_of(books, A_LOT).unit_cost == D("2.2")
    assert lot_of(books, B_LOT).unit_cost == D("3.2")


def test_several_bills_for_one_line_add_up() -> None:
    books = books_of(
        [
            po_opened("p", 0, "PO", ("L1", "A", 10, 1)),
            received("r", 1, "A", 10, po=("PO", "L1")),
            bill("b1", 2, "PO", ("L1", 4, 2)),
            bill("b2", 3, "PO", ("L1", 6, 3)),
        ]
    )
    assert (lot_of(books, A_LOT).unit_cost, lot_of(books, A_LOT).cost_status) == (
        D("2.6"),
        CostStatus.FINAL,
    )


def test_a_changed_estimate_revalues_used_units_and_the_latest_change_wins() -> None:
    stream = [
        po_opened("p", 0, "PO", ("L1", "A", 10, 5)),
        received("r", 1, "A", 10, po=("PO", "L1")),
        shipped("s", 2, "A", 2),
    ]
    books = books_of(stream)
    books, changes = apply_cost(_changed("c2", 4, 6), books)
    assert [(e.amount, e.cause) for e in changes.cogs] == [(D(2), CogsCause.REVALUATION)]
    books, changes = apply_cost(_changed("c1", 3, 9), books)
    assert changes.cogs == ()
    assert (lot_of(books, A_LOT).unit_cost, lot_of(books, A_LOT).cost_status) == (
        D(6),
        CostStatus.ESTIMATED,
    )


def test_a_receipt_before_its_po_is_costed_when_the_po_arrives() -> None:
    stream = [
        po_opened("p", 0, "PO", ("L1", "A", 10, 5)),
        received("r", 1, "A", 10, po=("PO", "L1")),
        shipped("s", 2, "A", 3),
    ]
    early = replay_costs(stream[1:])
    assert lot_of(early, A_LOT).unit_cost == D(0)
    assert replay_costs([*stream[1:], stream[0]]) == books_of(stream)


def test_mfr_lot_tracking_can_be_configured_per_item() -> None:
    bare_return = returned("t", 1, "M", 1)
    tracked = replay_costs([], mfr_tracked=[item("M")])
    with pytest.raises(BusinessRuleViolation) as caught:
        apply_cost(bare_return, tracked)
    assert caught.value.reason is CostReason.MFR_LOT_REQUIRED
    stream = [received("m", 0, "M", 5, unit_cost=2, mfr_lot="X"), bare_return]
    assert replay_costs(stream, mfr_tracked=[]).rejected == {}
    assert replay_costs(stream).rejected == {"t": "mfr_lot_required"}
