"""Events of ``shipping.v1``: goods received from vendors, shipped to and returned by customers."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar

from ..item import ItemKey
from .business_event import BusinessEvent

__all__ = [
    "ReceivedLine",
    "ReturnedLine",
    "ShipmentReceived",
    "ShipmentReturned",
    "ShipmentShipped",
    "ShippedLine",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class ReceivedLine:
    """Goods received on one shipment line, optionally against a PO line.

    ``unit_cost`` is given when there is no PO (the receipt is then its own lot's cost).
    """

    line_id: str
    po_line_id: str | None = None
    item: ItemKey
    qty: Decimal
    mfr_lot: str | None = None
    serials: tuple[str, ...] = ()
    unit_cost: Decimal | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ShipmentReceived(BusinessEvent):
    """An incoming shipment from a vendor was received into stock."""

    event_type: ClassVar[str] = "shipment.received"
    shipment_id: str
    po_id: str | None = None
    lines: tuple[ReceivedLine, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ShippedLine:
    """Goods shipped on one shipment line, optionally against an order line."""

    line_id: str
    order_line_id: str | None = None
    item: ItemKey
    qty: Decimal
    mfr_lot: str | None = None
    serials: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class ShipmentShipped(BusinessEvent):
    """An outgoing shipment left for a customer."""

    event_type: ClassVar[str] = "shipment.shipped"
    shipment_id: str
    order_id: str | None = None
    lines: tuple[ShippedLine, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ReturnedLine:
    """Goods a customer sent back on one shipment line."""

    line_id: str
    item: ItemKey
    qty: Decimal
    mfr_lot: str | None = None
    serials: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class ShipmentReturned(BusinessEvent):
    """A customer return arrived; ``original_shipment_id`` enables give-back to its lots."""

    event_type: ClassVar[str] = "shipment.returned"
    shipment_id: str
    order_id: str | None = None
    original_shipment_id: str | None = None
    lines: tuple[ReturnedLine, ...]
