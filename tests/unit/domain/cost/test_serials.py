"""Serials and manufacturer lots: specific identification, serialized returns, violations.

S1-S3 arrive at 100 (t0), S4 at 120 (t1). Shipping S1 draws the 100 lot even under LIFO and
shipping S4 the 120 lot even under FIFO. S4 coming back naming its shipment returns to the
120 lot and is in stock again. Every broken serial or mfr-lot rule rejects the event with a
machine-readable reason and leaves the books as they were.
"""

from __future__ import annotations

import pytest

from inventory_ledger.domain.allocation import CostingMethod
from inventory_ledger.domain.cost_books import apply_cost, replay_costs
from inventory_ledger.domain.cost_errors import BusinessRuleViolation, CostReason
from inventory_ledger.domain.cost_queries import mfr_lot_on_hand, serials_in_stock
from inventory_ledger.domain.events import Event

from .support import D, books_of, item, lot_of, received, returned, shipped, usage_of

pytestmark = pytest.mark.unit

CHEAP, DEAR = "shipment:R-r1/1:main/A", "shipment:R-r2/1:main/A"
STOCK = [
    received("r1", 0, "A", 3, unit_cost=100, serials=("S1", "S2", "S3")),
    received("r2", 1, "A", 1, unit_cost=120, serials=("S4",)),
]


@pytest.mark.parametrize("method", list(CostingMethod))
def test_serials_are_allocated_to_the_lots_holding_them(method: CostingMethod) -> None:
    stream = [
        *STOCK,
        shipped("s1", 2, "A", 1, serials=("S1",)),
        shipped("s2", 3, "A", 1, serials=("S4",)),
    ]
    books = books_of(stream, {"A": method})
    assert usage_of(books, "shipment:S-s1/1").cogs == D(100)
    assert usage_of(books, "shipment:S-s2/1").cogs == D(120)
    assert serials_in_stock(books, item("A")) == {"S2", "S3"}


def test_a_serialized_return_goes_back_to_its_lot() -> None:
    stream = [
        *STOCK,
        shipped("s2", 3, "A", 1, serials=("S4",)),
        returned("t", 4, "A", 1, original="s2", serials=("S4",)),
    ]
    books = books_of(stream)
    assert usage_of(books, "shipment:S-s2/1").cogs == D(0)
    assert lot_of(books, DEAR).remaining_qty == D(1)
    assert serials_in_stock(books, item("A")) == {"S1", "S2", "S3", "S4"}
    again = books_of([*stream, shipped("s3", 5, "A", 1, serials=("S4",))])
    assert usage_of(again, "shipment:S-s3/1").cogs == D(120)


def test_a_serial_returned_without_its_shipment_sits_in_a_return_lot() -> None:
    stream = [
        *STOCK,
        shipped("s1", 2, "A", 1, serials=("S1",)),
        returned("t", 4, "A", 1, serials=("S1",)),
        shipped("s3", 5, "A", 1, serials=("S1",)),
    ]
    books = books_of(stream)
    back = lot_of(books, "shipment:RT-t/1:main/A")
    assert (back.qty, back.allocated_qty, back.unit_cost) == (D(1), D(1), D(120))
    assert usage_of(books, "shipment:S-s3/1").cogs == D(120)


TRACKED = [received("m1", 0, "M", 5, unit_cost=2, mfr_lot="X")]


@pytest.mark.parametrize(
    ("history", "event", "reason"),
    [
        (STOCK, received("bad", 2, "A", 1, unit_cost=1, serials=("S1",)),
         CostReason.SERIAL_ALREADY_IN_STOCK),
        (STOCK, shipped("bad", 2, "A", 1, serials=("S9",)), CostReason.SERIAL_NOT_IN_STOCK),
        (STOCK, returned("bad", 2, "A", 1, serials=("S2",)), CostReason.SERIAL_NOT_SHIPPED),
        (STOCK, shipped("bad", 2, "A", 2, serials=("S1",)), CostReason.SERIAL_COUNT_MISMATCH),
        (STOCK, received("bad", 0.5, "A", 1, unit_cost=1, serials=("S4",)),
         CostReason.SERIAL_ALREADY_IN_STOCK),
        ([*STOCK, shipped("s", 2, "A", 1, serials=("S1",))],
         shipped("bad", 3, "A", 1, serials=("S1",)), CostReason.SERIAL_NOT_IN_STOCK),
        (TRACKED, returned("bad", 1, "M", 1), CostReason.MFR_LOT_REQUIRED),
    ],
)  # fmt: skip
def test_violations_are_rejected_with_a_reason(
    history: list[Event], event: Event, reason: CostReason
) -> None:
    books = books_of(history)
    with pytest.raises(BusinessRuleViolation) as caught:
        apply_cost(event, books)
    assert caught.value.reason is reason
    assert caught.value.message
    replayed = replay_costs([*history, event])
    assert replayed.rejected == {"bad": reason.value}
    assert replayed.items == books.items


def test_an_mfr_lot_is_identified_specifically() -> None:
    stream = [
        received("x", 0, "M", 5, unit_cost=2, mfr_lot="X"),
        received("y", 1, "M", 5, unit_cost=3, mfr_lot="Y"),
        shipped("s", 2, "M", 2, mfr_lot="Y"),
        returned("t", 3, "M", 1, original="s", mfr_lot="Y"),
    ]
    books = books_of(stream)
    assert usage_of(books, "shipment:S-s/1").cogs == D(3)
    assert mfr_lot_on_hand(books, item("M")) == {"X": D(5), "Y": D(4)}
