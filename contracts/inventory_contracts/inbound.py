"""Every inbound event type, as one discriminated union and as a registry by name."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Annotated, Final, TypeAlias

from pydantic import Field, TypeAdapter

from inventory_contracts.adjustments import AdjustmentPosted
from inventory_contracts.jobs import JobClosed, JobMaterialsConsumed, JobOpened, JobOutputCompleted
from inventory_contracts.purchasing import (
    PurchaseOpened,
    PurchaseOrderCancelled,
    PurchaseOrderChanged,
    PurchaseOrderClosed,
    PurchaseOrderOpened,
)
from inventory_contracts.sales import OrderCancelled, OrderChanged, OrderClosed, OrderOpened
from inventory_contracts.shipping import ShipmentReceived, ShipmentReturned, ShipmentShipped

__all__ = ["INBOUND_EVENTS", "INBOUND_EVENT_TYPES", "InboundEvent"]

InboundEvent: TypeAlias = Annotated[
    PurchaseOrderOpened
    | PurchaseOrderChanged
    | PurchaseOrderCancelled
    | PurchaseOrderClosed
    | PurchaseOpened
    | OrderOpened
    | OrderChanged
    | OrderCancelled
    | OrderClosed
    | ShipmentReceived
    | ShipmentShipped
    | ShipmentReturned
    | JobOpened
    | JobMaterialsConsumed
    | JobOutputCompleted
    | JobClosed
    | AdjustmentPosted,
    Field(discriminator="event_type"),
]
"""Any inbound event; ``event_type`` tells which (use ``match`` on the class)."""

_MODELS: Final = (
    PurchaseOrderOpened,
    PurchaseOrderChanged,
    PurchaseOrderCancelled,
    PurchaseOrderClosed,
    PurchaseOpened,
    OrderOpened,
    OrderChanged,
    OrderCancelled,
    OrderClosed,
    ShipmentReceived,
    ShipmentShipped,
    ShipmentReturned,
    JobOpened,
    JobMaterialsConsumed,
    JobOutputCompleted,
    JobClosed,
    AdjustmentPosted,
)

INBOUND_EVENTS: Final[Mapping[str, type[InboundEvent]]] = MappingProxyType(
    {model.model_fields["event_type"].default: model for model in _MODELS}
)
"""Model of each inbound ``event_type``, in contracts.md order."""

INBOUND_EVENT_TYPES: Final = tuple(INBOUND_EVENTS)
"""Every inbound ``event_type``, in contracts.md order."""

INBOUND_ADAPTER: Final[TypeAdapter[InboundEvent]] = TypeAdapter(InboundEvent)
"""Validates or dumps any inbound event (the parser dispatches on ``event_type`` itself)."""
