"""Terse constructors of domain events for hand-written cases.

Quantities are written as strings or ints; lines as ``(line_id, lic, qty)`` at location
``main`` unless an ``ItemKey`` is given. Every event gets a fresh ``event_id``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import count
from typing import TypedDict

from inventory_ledger.domain import ItemKey
from inventory_ledger.domain.events import (
    AdjustmentKind,
    AdjustmentLine,
    AdjustmentPosted,
    BilledLine,
    CompletedLine,
    ConsumedLine,
    JobClosed,
    JobLine,
    JobOpened,
    MaterialsConsumed,
    OrderCancelled,
    OrderChanged,
    OrderClosed,
    OrderLine,
    OrderOpened,
    OutputCompleted,
    PurchaseOpened,
    PurchaseOrderCancelled,
    PurchaseOrderChanged,
    PurchaseOrderClosed,
    PurchaseOrderLine,
    PurchaseOrderOpened,
    ReceivedLine,
    ReturnedLine,
    ShipmentReceived,
    ShipmentReturned,
    ShipmentShipped,
    ShippedLine,
)

__all__ = [
    "T0",
    "adjustment",
    "bill",
    "consumed",
    "job_closed",
    "job_opened",
    "order_cancelled",
    "order_changed",
    "order_closed",
    "order_opened",
    "output_completed",
    "po_cancelled",
    "po_changed",
    "po_closed",
    "po_opened",
    "received",
    "returned",
    "shipped",
]

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
_ids = count(1)

Qty = str | int
Line = tuple[str, str | ItemKey, Qty]


class _Stamp(TypedDict):
    event_id: str
    occurred_at: datetime


def _stamp() -> _Stamp:
    n = next(_ids)
    return {"event_id": f"e{n}", "occurred_at": T0 + timedelta(minutes=n)}


def _item(lic: str | ItemKey) -> ItemKey:
    return lic if isinstance(lic, ItemKey) else ItemKey(lic, "main")


def _q(qty: Qty) -> Decimal:
    return Decimal(qty)


def _po_lines(lines: Iterable[Line]) -> tuple[PurchaseOrderLine, ...]:
    return tuple(
        PurchaseOrderLine(line_id=i, item=_item(lic), qty=_q(q), est_unit_cost=Decimal("1.50"))
        for i, lic, q in lines
    )


def po_opened(po_id: str, *lines: Line) -> PurchaseOrderOpened:
    return PurchaseOrderOpened(**_stamp(), po_id=po_id, vendor="ACME", lines=_po_lines(lines))


def po_changed(po_id: str, *lines: Line) -> PurchaseOrderChanged:
    return PurchaseOrderChanged(**_stamp(), po_id=po_id, lines=_po_lines(lines))


def po_cancelled(po_id: str) -> PurchaseOrderCancelled:
    return PurchaseOrderCancelled(**_stamp(), po_id=po_id)


def po_closed(po_id: str) -> PurchaseOrderClosed:
    return PurchaseOrderClosed(**_stamp(), po_id=po_id)


def bill(purchase_id: str, po_id: str, *lines: tuple[str, Qty, str]) -> PurchaseOpened:
    billed = tuple(BilledLine(po_line_id=i, qty=_q(q), unit_cost=Decimal(c)) for i, q, c in lines)
    return PurchaseOpened(**_stamp(), purchase_id=purchase_id, po_id=po_id, lines=billed)


def received(
    shipment_id: str,
    po_id: str | None,
    *lines: tuple[str, str | None, str | ItemKey, Qty, str | None],
) -> ShipmentReceived:
    """Lines are ``(line_id, po_line_id, lic, qty, mfr_lot)``."""
    body = tuple(
        ReceivedLine(
            line_id=i,
            po_line_id=po_line,
            item=_item(lic),
            qty=_q(q),
            mfr_lot=lot,
            unit_cost=None if po_id else Decimal("2.00"),
        )
        for i, po_line, lic, q, lot in lines
    )
    return ShipmentReceived(**_stamp(), shipment_id=shipment_id, po_id=po_id, lines=body)


def order_opened(order_id: str, *lines: Line) -> OrderOpened:
    body = tuple(OrderLine(line_id=i, item=_item(lic), qty=_q(q)) for i, lic, q in lines)
    return OrderOpened(**_stamp(), order_id=order_id, customer="C1", lines=body)


def order_changed(order_id: str, *lines: Line) -> OrderChanged:
    body = tuple(OrderLine(line_id=i, item=_item(lic), qty=_q(q)) for i, lic, q in lines)
    return OrderChanged(**_stamp(), order_id=order_id, lines=body)


def order_cancelled(order_id: str) -> OrderCancelled:
    return OrderCancelled(**_stamp(), order_id=order_id)


def order_closed(order_id: str) -> OrderClosed:
    return OrderClosed(**_stamp(), order_id=order_id)


def shipped(
    shipment_id: str, order_id: str | None, *lines: tuple[str, str | None, str, Qty]
) -> ShipmentShipped:
    """Lines are ``(line_id, order_line_id, lic, qty)``."""
    body = tuple(
        ShippedLine(line_id=i, order_line_id=ol, item=_item(lic), qty=_q(q))
        for i, ol, lic, q in lines
    )
    return ShipmentShipped(**_stamp(), shipment_id=shipment_id, order_id=order_id, lines=body)


def returned(shipment_id: str, *lines: Line) -> ShipmentReturned:
    body = tuple(ReturnedLine(line_id=i, item=_item(lic), qty=_q(q)) for i, lic, q in lines)
    return ShipmentReturned(**_stamp(), shipment_id=shipment_id, lines=body)


def job_opened(job_id: str, outputs: Iterable[Line], inputs: Iterable[Line]) -> JobOpened:
    return JobOpened(
        **_stamp(),
        job_id=job_id,
        outputs=tuple(JobLine(line_id=i, item=_item(lic), qty=_q(q)) for i, lic, q in outputs),
        inputs=tuple(JobLine(line_id=i, item=_item(lic), qty=_q(q)) for i, lic, q in inputs),
    )


def consumed(job_id: str, *lines: tuple[str, str | None, str, Qty]) -> MaterialsConsumed:
    """Lines are ``(line_id, input_line_id, lic, qty)``."""
    body = tuple(
        ConsumedLine(line_id=i, input_line_id=il, item=_item(lic), qty=_q(q))
        for i, il, lic, q in lines
    )
    return MaterialsConsumed(**_stamp(), job_id=job_id, lines=body)


def output_completed(job_id: str, *lines: tuple[str, str | None, str, Qty]) -> OutputCompleted:
    """Lines are ``(line_id, output_line_id, lic, qty)``."""
    body = tuple(
        CompletedLine(line_id=i, output_line_id=ol, item=_item(lic), qty=_q(q))
        for i, ol, lic, q in lines
    )
    return OutputCompleted(**_stamp(), job_id=job_id, lines=body)


def job_closed(job_id: str) -> JobClosed:
    return JobClosed(**_stamp(), job_id=job_id, additional_cost=Decimal("10"))


def adjustment(
    adjustment_id: str,
    kind: AdjustmentKind,
    consumed_lines: Iterable[Line] = (),
    produced_lines: Iterable[Line] = (),
) -> AdjustmentPosted:
    def lines(src: Iterable[Line]) -> tuple[AdjustmentLine, ...]:
        return tuple(AdjustmentLine(line_id=i, item=_item(lic), qty=_q(q)) for i, lic, q in src)

    return AdjustmentPosted(
        **_stamp(),
        adjustment_id=adjustment_id,
        kind=kind,
        reason="count",
        consumed=lines(consumed_lines),
        produced=lines(produced_lines),
    )
