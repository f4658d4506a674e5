"""Shipping events (topic ``shipping.v1``, keyed by ``shipment_id``)."""

from __future__ import annotations

from typing import Any, Final, Literal, Self

from pydantic import ConfigDict, Field, model_validator

from inventory_contracts.envelope import ContractModel, Envelope, rule_error, unique_ids
from inventory_contracts.identifiers import Id
from inventory_contracts.limits import MAX_LINES_PER_DOCUMENT
from inventory_contracts.lines import Lines, TrackedLine, unique_serials
from inventory_contracts.quantities import Money

__all__ = [
    "ReceivedLine",
    "ReturnedLine",
    "ShipmentReceived",
    "ShipmentReceivedData",
    "ShipmentReturned",
    "ShipmentReturnedData",
    "ShipmentShipped",
    "ShipmentShippedData",
    "ShippedLine",
]

_SHIPMENT_ID = "Id of the shipment."
_LINES = "Lines of the shipment; `line_id` unique within the shipment."


class ReceivedLine(TrackedLine):
    """Goods received from a vendor."""

    po_line_id: Id | None = Field(
        default=None, description="`line_id` of the purchase order line received against."
    )
    unit_cost: Money | None = Field(
        default=None,
        description="Unit cost of the goods; required on every line when there is no `po_id`.",
    )


class ShippedLine(TrackedLine):
    """Goods shipped to a customer."""

    order_line_id: Id | None = Field(
        default=None, description="`line_id` of the customer order line shipped against."
    )


class ReturnedLine(TrackedLine):
    """Goods returned by a customer."""


_UNIT_COST_WITHOUT_PO: Final[dict[str, Any]] = {
    "if": {"properties": {"po_id": {"type": "null"}}},
    "then": {
        "properties": {
            "lines": {
                "items": {
                    "required": ["unit_cost"],
                    "properties": {"unit_cost": {"not": {"type": "null"}}},
                }
            }
        }
    },
}


class _Shipment(ContractModel):
    shipment_id: Id = Field(description=_SHIPMENT_ID)

    def _check_lines(self, lines: tuple[TrackedLine, ...]) -> None:
        unique_ids("line_id", ("lines", lines))
        unique_serials("lines", lines)


class ShipmentReceivedData(_Shipment):
    """A shipment arrived from a vendor, against a purchase order or not.

    Without a ``po_id`` every line needs a ``unit_cost`` (published as ``if``/``then``).
    """

    model_config = ConfigDict(json_schema_extra=_UNIT_COST_WITHOUT_PO)

    po_id: Id | None = Field(default=None, description="Purchase order received against, if any.")
    lines: Lines[ReceivedLine] = Field(
        min_length=1, max_length=MAX_LINES_PER_DOCUMENT, description=_LINES
    )

    @model_validator(mode="after")
    def _lines_valid(self) -> Self:
        self._check_lines(self.lines)
        if self.po_id is None:
            for index, line in enumerate(self.lines):
                if line.unit_cost is None:
                    raise rule_error(
                        f"lines[{index}].unit_cost", "is required when there is no po_id"
                    )
        return self


class ShipmentShippedData(_Shipment):
    """A shipment left for a customer, against a customer order or not."""

    order_id: Id | None = Field(default=None, description="Customer order shipped, if any.")
    lines: Lines[ShippedLine] = Field(
        min_length=1, max_length=MAX_LINES_PER_DOCUMENT, description=_LINES
    )

    @model_validator(mode="after")
    def _lines_valid(self) -> Self:
        self._check_lines(self.lines)
        return self


class ShipmentReturnedData(_Shipment):
    """A customer sent goods back."""

    order_id: Id | None = Field(default=None, description="Customer order returned, if known.")
    original_shipment_id: Id | None = Field(
        default=None,
        description="Shipment the goods left with, if known: their cost is given back to it.",
    )
    lines: Lines[ReturnedLine] = Field(
        min_length=1, max_length=MAX_LINES_PER_DOCUMENT, description=_LINES
    )

    @model_validator(mode="after")
    def _lines_valid(self) -> Self:
        self._check_lines(self.lines)
        return self


class ShipmentReceived(Envelope):
    """``shipment.received``: goods arrived (``on_hand`` rises, ``on_order`` falls)."""

    event_type: Literal["shipment.received"] = Field(
        default="shipment.received", description="Discriminator of this event type."
    )
    data: ShipmentReceivedData = Field(description="The received shipment.")


class ShipmentShipped(Envelope):
    """``shipment.shipped``: goods left (``on_hand`` falls, ``demand`` is fulfilled)."""

    event_type: Literal["shipment.shipped"] = Field(
        default="shipment.shipped", description="Discriminator of this event type."
    )
    data: ShipmentShippedData = Field(description="The shipped shipment.")


class ShipmentReturned(Envelope):
    """``shipment.returned``: goods came back from a customer (``on_hand`` rises)."""

    event_type: Literal["shipment.returned"] = Field(
        default="shipment.returned", description="Discriminator of this event type."
    )
    data: ShipmentReturnedData = Field(description="The returned shipment.")
