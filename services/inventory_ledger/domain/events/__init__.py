"""The domain's own values for every inbound business event (one per contract event type).

They carry every contract field, including the cost and traceability fields (``mfr_lot``,
``serials``, ``unit_cost``, ``est_unit_cost``, ``freight``, ``additional_cost``,
``cost_share``, ``kind``, ``reason``) that the quantity side ignores, so that lots, usage and
costing can be built on the same values. The edge translates contract models into these.
"""

from __future__ import annotations

from .adjustments import AdjustmentKind, AdjustmentLine, AdjustmentPosted
from .business_event import BusinessEvent
from .jobs import (
    CompletedLine,
    ConsumedLine,
    JobClosed,
    JobLine,
    JobOpened,
    MaterialsConsumed,
    OutputCompleted,
)
from .purchasing import (
    BilledLine,
    PurchaseOpened,
    PurchaseOrderCancelled,
    PurchaseOrderChanged,
    PurchaseOrderClosed,
    PurchaseOrderLine,
    PurchaseOrderOpened,
)
from .sales import OrderCancelled, OrderChanged, OrderClosed, OrderLine, OrderOpened
from .shipping import (
    ReceivedLine,
    ReturnedLine,
    ShipmentReceived,
    ShipmentReturned,
    ShipmentShipped,
    ShippedLine,
)

__all__ = [
    "EVENT_TYPES",
    "AdjustmentKind",
    "AdjustmentLine",
    "AdjustmentPosted",
    "BilledLine",
    "BusinessEvent",
    "CompletedLine",
    "ConsumedLine",
    "Event",
    "JobClosed",
    "JobLine",
    "JobOpened",
    "MaterialsConsumed",
    "OrderCancelled",
    "OrderChanged",
    "OrderClosed",
    "OrderLine",
    "OrderOpened",
    "OutputCompleted",
    "PurchaseOpened",
    "PurchaseOrderCancelled",
    "PurchaseOrderChanged",
    "PurchaseOrderClosed",
    "PurchaseOrderLine",
    "PurchaseOrderOpened",
    "ReceivedLine",
    "ReturnedLine",
    "ShipmentReceived",
    "ShipmentReturned",
    "ShipmentShipped",
    "ShippedLine",
]

Event = (
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
    | MaterialsConsumed
    | OutputCompleted
    | JobClosed
    | AdjustmentPosted
)
"""Every inbound business event the ledger posts."""

EVENT_TYPES: dict[str, type[Event]] = {
    cls.event_type: cls
    for cls in (
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
        MaterialsConsumed,
        OutputCompleted,
        JobClosed,
        AdjustmentPosted,
    )
}
"""Contract ``event_type`` → domain event class (the edge's translation table)."""
