"""Events of ``purchasing.v1``: purchase orders and vendor bills (purchases)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar

from ..item import ItemKey
from .business_event import BusinessEvent

__all__ = [
    "BilledLine",
    "PurchaseOpened",
    "PurchaseOrderCancelled",
    "PurchaseOrderChanged",
    "PurchaseOrderClosed",
    "PurchaseOrderLine",
    "PurchaseOrderOpened",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class PurchaseOrderLine:
    """One line of a PO: what is ordered and its estimated cost (the purchase lot's estimate)."""

    line_id: str
    item: ItemKey
    qty: Decimal
    est_unit_cost: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class PurchaseOrderOpened(BusinessEvent):
    """A PO was opened: its lines are now on order."""

    event_type: ClassVar[str] = "purchase_order.opened"
    po_id: str
    vendor: str | None = None
    lines: tuple[PurchaseOrderLine, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class PurchaseOrderChanged(BusinessEvent):
    """A PO was changed; ``lines`` is the full new state (a line not listed is removed)."""

    event_type: ClassVar[str] = "purchase_order.changed"
    po_id: str
    lines: tuple[PurchaseOrderLine, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class PurchaseOrderCancelled(BusinessEvent):
    """A PO was cancelled: nothing more is on order from it."""

    event_type: ClassVar[str] = "purchase_order.cancelled"
    po_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PurchaseOrderClosed(BusinessEvent):
    """A PO was closed: no more receipts are expected against it."""

    event_type: ClassVar[str] = "purchase_order.closed"
    po_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class BilledLine:
    """One billed PO line: the final unit cost of what was received on it."""

    po_line_id: str
    qty: Decimal
    unit_cost: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class PurchaseOpened(BusinessEvent):
    """A vendor bill arrived for a PO: its purchase lots' costs become final.

    Moves no quantity; ``freight`` is landed cost spread over the received quantity.
    """

    event_type: ClassVar[str] = "purchase.opened"
    purchase_id: str
    po_id: str
    freight: Decimal | None = None
    lines: tuple[BilledLine, ...]
