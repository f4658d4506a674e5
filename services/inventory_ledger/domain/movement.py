"""Direct ``on_hand`` movements: goods physically entering or leaving stock.

One transaction per event line, so goods of different manufacturer lots (which producers put
on separate lines) are never merged into one ledger line. Which document the goods moved on
(the shipment, job or adjustment) becomes the transaction's ``document``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Protocol, assert_never

from .events import (
    AdjustmentPosted,
    Event,
    JobClosed,
    JobOpened,
    MaterialsConsumed,
    OrderCancelled,
    OrderChanged,
    OrderClosed,
    OrderOpened,
    OutputCompleted,
    PurchaseOpened,
    PurchaseOrderCancelled,
    PurchaseOrderChanged,
    PurchaseOrderClosed,
    PurchaseOrderOpened,
    ShipmentReceived,
    ShipmentReturned,
    ShipmentShipped,
)
from .item import Bucket, ItemKey
from .transaction import Transaction

__all__ = ["movements"]


class _Goods(Protocol):
    """What every goods-moving event line has."""

    @property
    def line_id(self) -> str: ...
    @property
    def item(self) -> ItemKey: ...
    @property
    def qty(self) -> Decimal: ...
    @property
    def mfr_lot(self) -> str | None: ...


def movements(event: Event) -> Iterator[Transaction]:
    """The ``on_hand`` transactions of ``event``: + goods in, - goods out."""
    match event:
        case ShipmentReceived() | ShipmentReturned():
            yield from _moved(event, f"shipment:{event.shipment_id}", event.lines, 1)
        case ShipmentShipped():
            yield from _moved(event, f"shipment:{event.shipment_id}", event.lines, -1)
        case MaterialsConsumed():
            yield from _moved(event, f"job:{event.job_id}", event.lines, -1)
        case OutputCompleted():
            yield from _moved(event, f"job:{event.job_id}", event.lines, 1)
        case AdjustmentPosted():
            yield from _moved(event, f"adjustment:{event.adjustment_id}", event.consumed, -1)
            yield from _moved(event, f"adjustment:{event.adjustment_id}", event.produced, 1)
        case (
            PurchaseOrderOpened()
            | PurchaseOrderChanged()
            | PurchaseOrderCancelled()
            | PurchaseOrderClosed()
            | PurchaseOpened()
            | OrderOpened()
            | OrderChanged()
            | OrderCancelled()
            | OrderClosed()
            | JobOpened()
            | JobClosed()
        ):
            return
        case _:
            assert_never(event)


def _moved(
    event: Event, document: str, lines: Iterable[_Goods], sign: int
) -> Iterator[Transaction]:
    for line in lines:
        yield Transaction(
            item=line.item,
            bucket=Bucket.ON_HAND,
            qty=sign * line.qty,
            occurred_at=event.occurred_at,
            event_id=event.event_id,
            document=document,
            document_line=line.line_id,
            mfr_lot=line.mfr_lot,
        )
