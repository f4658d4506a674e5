"""Events of ``sales.v1``: customer orders."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar

from ..item import ItemKey
from .business_event import BusinessEvent

__all__ = ["OrderCancelled", "OrderChanged", "OrderClosed", "OrderLine", "OrderOpened"]


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderLine:
    """One line of a customer order: what is promised out."""

    line_id: str
    item: ItemKey
    qty: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderOpened(BusinessEvent):
    """An order was opened: its lines are now demand."""

    event_type: ClassVar[str] = "order.opened"
    order_id: str
    customer: str | None = None
    lines: tuple[OrderLine, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderChanged(BusinessEvent):
    """An order was changed; ``lines`` is the full new state (a line not listed is removed)."""

    event_type: ClassVar[str] = "order.changed"
    order_id: str
    lines: tuple[OrderLine, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderCancelled(BusinessEvent):
    """An order was cancelled: its remaining demand goes away."""

    event_type: ClassVar[str] = "order.cancelled"
    order_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderClosed(BusinessEvent):
    """An order was closed: nothing more will ship against it."""

    event_type: ClassVar[str] = "order.closed"
    order_id: str
