"""Sales events (topic ``sales.v1``, keyed by ``order_id``)."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, model_validator

from inventory_contracts.envelope import ContractModel, Envelope, unique_ids
from inventory_contracts.identifiers import Id, Text
from inventory_contracts.limits import MAX_LINES_PER_DOCUMENT
from inventory_contracts.lines import ItemLine, Lines

__all__ = [
    "OrderCancelled",
    "OrderCancelledData",
    "OrderChanged",
    "OrderChangedData",
    "OrderClosed",
    "OrderClosedData",
    "OrderLine",
    "OrderOpened",
    "OrderOpenedData",
]

_ORDER_ID = "Id of the customer order."


class OrderLine(ItemLine):
    """A line of a customer order: goods promised to the customer (``demand``)."""


class OrderOpenedData(ContractModel):
    """A customer order was placed."""

    order_id: Id = Field(description=_ORDER_ID)
    customer: Text | None = Field(default=None, description="Customer name or id, for people.")
    lines: Lines[OrderLine] = Field(
        min_length=1,
        max_length=MAX_LINES_PER_DOCUMENT,
        description="Ordered lines; `line_id` unique within the order.",
    )

    @model_validator(mode="after")
    def _unique_line_ids(self) -> Self:
        unique_ids("line_id", ("lines", self.lines))
        return self


class OrderChangedData(ContractModel):
    """A customer order was changed; `lines` is the full new state of every line."""

    order_id: Id = Field(description=_ORDER_ID)
    lines: Lines[OrderLine] = Field(
        max_length=MAX_LINES_PER_DOCUMENT,
        description="Every line of the order as it now stands; a line left out is removed.",
    )

    @model_validator(mode="after")
    def _unique_line_ids(self) -> Self:
        unique_ids("line_id", ("lines", self.lines))
        return self


class OrderCancelledData(ContractModel):
    """A customer order was cancelled: what is not shipped leaves ``demand``."""

    order_id: Id = Field(description=_ORDER_ID)


class OrderClosedData(ContractModel):
    """A customer order was closed: nothing more will ship against it."""

    order_id: Id = Field(description=_ORDER_ID)


class OrderOpened(Envelope):
    """``order.opened``: goods are promised (``demand`` falls)."""

    event_type: Literal["order.opened"] = Field(
        default="order.opened", description="Discriminator of this event type."
    )
    data: OrderOpenedData = Field(description="The opened customer order.")


class OrderChanged(Envelope):
    """``order.changed``: the order's lines were replaced by a new full state."""

    event_type: Literal["order.changed"] = Field(
        default="order.changed", description="Discriminator of this event type."
    )
    data: OrderChangedData = Field(description="The changed customer order.")


class OrderCancelled(Envelope):
    """``order.cancelled``: remaining open quantities leave ``demand``."""

    event_type: Literal["order.cancelled"] = Field(
        default="order.cancelled", description="Discriminator of this event type."
    )
    data: OrderCancelledData = Field(description="The cancelled customer order.")


class OrderClosed(Envelope):
    """``order.closed``: remaining open quantities leave ``demand``."""

    event_type: Literal["order.closed"] = Field(
        default="order.closed", description="Discriminator of this event type."
    )
    data: OrderClosedData = Field(description="The closed customer order.")
