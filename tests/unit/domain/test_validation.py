"""Events that break a business rule are rejected with a stable reason and post nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest

from inventory_ledger.domain import EventRejectedError, ItemKey, Reason, post, replay
from inventory_ledger.domain.events import AdjustmentKind, Event

from .builders import adjustment, bill, job_opened, order_opened, po_opened, received, shipped

pytestmark = pytest.mark.unit

REJECTED = [
    ("duplicate PO line id", po_opened("PO-1", ("1", "A", 1), ("1", "B", 2)),
     Reason.DUPLICATE_LINE_ID),
    ("duplicate job input id", job_opened("J1", [("1", "K", 1)], [("1", "A", 1), ("1", "B", 1)]),
     Reason.DUPLICATE_LINE_ID),
    ("zero order qty", order_opened("SO-1", ("1", "A", 0)), Reason.NON_POSITIVE_QUANTITY),
    ("negative receipt", received("R1", None, ("1", None, "A", -2, None)),
     Reason.NON_POSITIVE_QUANTITY),
    ("NaN shipment", shipped("S1", None, ("1", None, "A", "NaN")), Reason.NON_POSITIVE_QUANTITY),
    ("zero billed qty", bill("B1", "PO-1", ("1", 0, "1.00")), Reason.NON_POSITIVE_QUANTITY),
    ("increase with consumed lines",
     adjustment("A1", AdjustmentKind.INCREASE, [("1", "A", 1)], [("2", "A", 1)]),
     Reason.ADJUSTMENT_SHAPE),
    ("decrease without lines", adjustment("A1", AdjustmentKind.DECREASE),
     Reason.ADJUSTMENT_SHAPE),
    ("assembly into two kits",
     adjustment("A1", AdjustmentKind.ASSEMBLY, [("1", "A", 1)], [("2", "K", 1), ("3", "L", 1)]),
     Reason.ADJUSTMENT_SHAPE),
    ("division of two sources",
     adjustment("A1", AdjustmentKind.DIVISION, [("1", "K", 1), ("2", "L", 1)], [("3", "A", 1)]),
     Reason.ADJUSTMENT_SHAPE),
]  # fmt: skip


@pytest.mark.parametrize(("event", "reason"), [(e, r) for _, e, r in REJECTED],
                         ids=[name for name, _, _ in REJECTED])  # fmt: skip
def test_rejected_with_reason(event: Event, reason: Reason) -> None:
    with pytest.raises(EventRejectedError) as raised:
        post(event, {})
    assert raised.value.reason is reason


def test_a_rejected_event_changes_nothing_and_is_remembered() -> None:
    good = received("R1", None, ("1", None, "A", 2, None))
    bad = order_opened("SO-1", ("1", "A", 0))

    books = replay([good, bad, bad])

    assert books.balances == replay([good]).balances
    assert dict(books.rejected) == {bad.event_id: "non_positive_quantity"}
    assert bad.event_id not in books.processed


def test_quantities_keep_their_decimal_places() -> None:
    books = replay([received("R1", None, ("1", None, "A", "0.000001", None))])
    assert books.balances[ItemKey("A")].on_hand == Decimal("0.000001")
