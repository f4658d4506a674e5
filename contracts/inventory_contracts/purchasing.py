"""Purchasing events (topic ``purchasing.v1``, keyed by the source document id)."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, model_validator

from inventory_contracts.envelope import ContractModel, Envelope, unique_ids
from inventory_contracts.identifiers import Id, Text
from inventory_contracts.limits import MAX_LINES_PER_DOCUMENT
from inventory_contracts.lines import ItemLine, Lines
from inventory_contracts.quantities import Money, Qty

__all__ = [
    "PurchaseLine",
    "PurchaseOpened",
    "PurchaseOpenedData",
    "PurchaseOrderCancelled",
    "PurchaseOrderCancelledData",
    "PurchaseOrderChanged",
    "PurchaseOrderChangedData",
    "PurchaseOrderClosed",
    "PurchaseOrderClosedData",
    "PurchaseOrderLine",
    "PurchaseOrderOpened",
    "PurchaseOrderOpenedData",
]

_PO_ID = "Id of the purchase order."


class PurchaseOrderLine(ItemLine):
    """A line of a purchase order: goods expected from the vendor."""

    est_unit_cost: Money = Field(
        description="Estimated unit cost; the lot's cost until the vendor bill makes it final."
    )


class PurchaseOrderOpenedData(ContractModel):
    """A purchase order was placed with a vendor."""

    po_id: Id = Field(description=_PO_ID)
    vendor: Text | None = Field(default=None, description="Vendor name or id, for people.")
    lines: Lines[PurchaseOrderLine] = Field(
        min_length=1,
        max_length=MAX_LINES_PER_DOCUMENT,
        description="Ordered lines; `line_id` unique within the order.",
    )

    @model_validator(mode="after")
    def _unique_line_ids(self) -> Self:
        unique_ids("line_id", ("lines", self.lines))
        return self


class PurchaseOrderChangedData(ContractModel):
    """A purchase order was changed; `lines` is the full new state of every line."""

    po_id: Id = Field(description=_PO_ID)
    lines: Lines[PurchaseOrderLine] = Field(
        max_length=MAX_LINES_PER_DOCUMENT,
        description="Every line of the order as it now stands; a line left out is removed.",
    )

    @model_validator(mode="after")
    def _unique_line_ids(self) -> Self:
        unique_ids("line_id", ("lines", self.lines))
        return self


class PurchaseOrderCancelledData(ContractModel):
    """A purchase order was cancelled: what is still open will not arrive."""

    po_id: Id = Field(description=_PO_ID)


class PurchaseOrderClosedData(ContractModel):
    """A purchase order was closed: no more receipts are expected against it."""

    po_id: Id = Field(description=_PO_ID)


class PurchaseLine(ContractModel):
    """A line of a vendor bill: the final cost of goods of one purchase order line."""

    po_line_id: Id = Field(description="`line_id` of the purchase order line being billed.")
    qty: Qty = Field(description="Billed quantity.")
    unit_cost: Money = Field(description="Billed unit cost; makes the lot's cost final.")


class PurchaseOpenedData(ContractModel):
    """A vendor bill (purchase) was entered against a purchase order."""

    purchase_id: Id = Field(description="Id of the purchase (vendor bill).")
    po_id: Id = Field(description="Id of the purchase order billed.")
    freight: Money | None = Field(
        default=None,
        description="Landed cost (freight) of the bill, spread over the received quantity.",
    )
    lines: Lines[PurchaseLine] = Field(
        min_length=1,
        max_length=MAX_LINES_PER_DOCUMENT,
        description="Billed lines; each purchase order line at most once.",
    )

    @model_validator(mode="after")
    def _unique_po_lines(self) -> Self:
        unique_ids("po_line_id", ("lines", self.lines))
        return self


class PurchaseOrderOpened(Envelope):
    """``purchase_order.opened``: goods are on order (``on_order`` rises)."""

    event_type: Literal["purchase_order.opened"] = Field(
        default="purchase_order.opened", description="Discriminator of this event type."
    )
    data: PurchaseOrderOpenedData = Field(description="The opened purchase order.")


class PurchaseOrderChanged(Envelope):
    """``purchase_order.changed``: the order's lines were replaced by a new full state."""

    event_type: Literal["purchase_order.changed"] = Field(
        default="purchase_order.changed", description="Discriminator of this event type."
    )
    data: PurchaseOrderChangedData = Field(description="The changed purchase order.")


class PurchaseOrderCancelled(Envelope):
    """``purchase_order.cancelled``: remaining open quantities leave ``on_order``."""

    event_type: Literal["purchase_order.cancelled"] = Field(
        default="purchase_order.cancelled", description="Discriminator of this event type."
    )
    data: PurchaseOrderCancelledData = Field(description="The cancelled purchase order.")


class PurchaseOrderClosed(Envelope):
    """``purchase_order.closed``: remaining open quantities leave ``on_order``."""

    event_type: Literal["purchase_order.closed"] = Field(
        default="purchase_order.closed", description="Discriminator of this event type."
    )
    data: PurchaseOrderClosedData = Field(description="The closed purchase order.")


class PurchaseOpened(Envelope):
    """``purchase.opened``: the vendor bill; the lots' costs become final."""

    event_type: Literal["purchase.opened"] = Field(
        default="purchase.opened", description="Discriminator of this event type."
    )
    data: PurchaseOpenedData = Field(description="The vendor bill.")
