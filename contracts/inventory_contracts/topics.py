"""Topic names and message keys (contracts.md, "Topics").

:class:`Topics` holds the defaults; a service setting overrides any of them (``Topics(sales=
"acme.sales.v1")``). Each inbound event type belongs to one source topic and is keyed by the id
of its source document, so that all events of one document stay in order in one partition.
Purchasing follows contracts.md literally: ``purchase_order.*`` are keyed by ``po_id`` and the
vendor bill (``purchase.opened``) by its own ``purchase_id``, not by the PO it bills; the service
must not rely on a bill arriving after its PO (it never can across topics anyway).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Annotated, Final, Protocol

from pydantic import Field, StringConstraints

from inventory_contracts.envelope import ContractModel

__all__ = [
    "EVENT_KEY_FIELDS",
    "EVENT_SOURCES",
    "Source",
    "Topics",
    "balance_key",
    "message_key",
]

TopicName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]{1,249}$")]


class Source(StrEnum):
    """The five inbound streams, named as the fields of :class:`Topics`."""

    PURCHASING = "purchasing"
    SALES = "sales"
    SHIPPING = "shipping"
    JOBS = "jobs"
    ADJUSTMENTS = "adjustments"


EVENT_SOURCES: Final[Mapping[str, Source]] = MappingProxyType(
    {
        "purchase_order.opened": Source.PURCHASING,
        "purchase_order.changed": Source.PURCHASING,
        "purchase_order.cancelled": Source.PURCHASING,
        "purchase_order.closed": Source.PURCHASING,
        "purchase.opened": Source.PURCHASING,
        "order.opened": Source.SALES,
        "order.changed": Source.SALES,
        "order.cancelled": Source.SALES,
        "order.closed": Source.SALES,
        "shipment.received": Source.SHIPPING,
        "shipment.shipped": Source.SHIPPING,
        "shipment.returned": Source.SHIPPING,
        "job.opened": Source.JOBS,
        "job.materials_consumed": Source.JOBS,
        "job.output_completed": Source.JOBS,
        "job.closed": Source.JOBS,
        "adjustment.posted": Source.ADJUSTMENTS,
    }
)
"""Source stream of every inbound ``event_type``."""

EVENT_KEY_FIELDS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "purchase_order.opened": "po_id",
        "purchase_order.changed": "po_id",
        "purchase_order.cancelled": "po_id",
        "purchase_order.closed": "po_id",
        "purchase.opened": "purchase_id",
        "order.opened": "order_id",
        "order.changed": "order_id",
        "order.cancelled": "order_id",
        "order.closed": "order_id",
        "shipment.received": "shipment_id",
        "shipment.shipped": "shipment_id",
        "shipment.returned": "shipment_id",
        "job.opened": "job_id",
        "job.materials_consumed": "job_id",
        "job.output_completed": "job_id",
        "job.closed": "job_id",
        "adjustment.posted": "adjustment_id",
    }
)
"""Field of ``data`` whose value is the Kafka message key of each inbound ``event_type``."""


class Topics(ContractModel):
    """Topic names; defaults from contracts.md, each overridable by configuration."""

    purchasing: TopicName = Field(default="purchasing.v1", description="Purchasing events in.")
    sales: TopicName = Field(default="sales.v1", description="Sales events in.")
    shipping: TopicName = Field(default="shipping.v1", description="Shipping events in.")
    jobs: TopicName = Field(default="jobs.v1", description="Production job events in.")
    adjustments: TopicName = Field(default="adjustments.v1", description="Adjustments in.")
    balance_changed: TopicName = Field(
        default="inventory.balance-changed.v1",
        description="`inventory.balance_changed` out, keyed by `{location}/{lic}`.",
    )
    dead_letter: TopicName = Field(
        default="inventory.dead-letter.v1",
        description="Rejected messages out, keyed by the rejected message's key.",
    )

    @property
    def inbound(self) -> tuple[str, ...]:
        """The five inbound topics, in contracts.md order."""
        return tuple(self.source(source) for source in Source)

    def source(self, source: Source) -> str:
        """Topic of one inbound stream."""
        topic: str = getattr(self, source.value)
        return topic

    def for_event_type(self, event_type: str) -> str:
        """Topic an inbound ``event_type`` is published on (``KeyError`` if not inbound)."""
        return self.source(EVENT_SOURCES[event_type])


class _Keyed(Protocol):
    @property
    def event_type(self) -> str: ...

    @property
    def data(self) -> object: ...


def message_key(event: _Keyed) -> str:
    """Kafka key of an inbound event: the id of its source document (``EVENT_KEY_FIELDS``)."""
    key: str = getattr(event.data, EVENT_KEY_FIELDS[event.event_type])
    return key


def balance_key(location: str, lic: str) -> str:
    """Kafka key of ``inventory.balance_changed``: ``{location}/{lic}``."""
    return f"{location}/{lic}"
