"""Line shapes shared by several documents, and the per-line rules they carry."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Self, TypeVar

from pydantic import BeforeValidator, Field, model_validator
from pydantic_core import PydanticKnownError

from inventory_contracts.envelope import ContractModel, rule_error
from inventory_contracts.identifiers import DEFAULT_LOCATION, Id, Lic, Location
from inventory_contracts.limits import MAX_LINES_PER_DOCUMENT, MAX_SERIALS_PER_LINE
from inventory_contracts.quantities import Qty

__all__ = ["ItemLine", "Lines", "Serials", "TrackedLine", "unique_serials"]

_Line = TypeVar("_Line")


def _at_most_max_lines(value: object) -> object:
    """Reject an over-long list before validating any of its lines (cheap, and one error)."""
    if isinstance(value, list | tuple) and len(value) > MAX_LINES_PER_DOCUMENT:
        raise PydanticKnownError(
            "too_long",
            {
                "field_type": "List",
                "max_length": MAX_LINES_PER_DOCUMENT,
                "actual_length": len(value),
            },
        )
    return value


Lines = Annotated[tuple[_Line, ...], BeforeValidator(_at_most_max_lines)]
"""A line list of a document; at most ``MAX_LINES_PER_DOCUMENT`` (also give ``max_length``)."""

Serials = Annotated[
    tuple[Id, ...],
    Field(
        max_length=MAX_SERIALS_PER_LINE, description="Serial numbers of the units; one per unit."
    ),
]


class ItemLine(ContractModel):
    """A quantity of one item at one location, identified within its document by ``line_id``."""

    line_id: Id = Field(description="Id of the line, unique within its document.")
    lic: Lic = Field(description="Line item code (SKU) of the item.")
    location: Location = Field(
        default=DEFAULT_LOCATION, description="Warehouse or office code of the item."
    )
    qty: Qty = Field(description="Quantity, positive, at most 6 decimal places.")


class TrackedLine(ItemLine):
    """A line of physical goods that may name their manufacturer lot and serial numbers."""

    mfr_lot: Id | None = Field(
        default=None, description="Manufacturer lot (batch) the goods belong to, if tracked."
    )
    serials: Serials | None = Field(
        default=None,
        description="Serial numbers of the units, if serialized: exactly `qty` distinct ones.",
    )

    @model_validator(mode="after")
    def _serials_match_qty(self) -> Self:
        if self.serials is None:
            return self
        if len(self.serials) != self.qty:
            raise rule_error("serials", f"{len(self.serials)} serials given for qty {self.qty}")
        seen: set[str] = set()
        for index, serial in enumerate(self.serials):
            if serial in seen:
                raise rule_error(f"serials[{index}]", f"duplicate serial {serial!r}")
            seen.add(serial)
        return self


def unique_serials(name: str, lines: Iterable[TrackedLine]) -> None:
    """A unit of an item is in one place at a time: no serial twice per item in one list."""
    seen: dict[tuple[str, str], int] = {}
    for index, line in enumerate(lines):
        for serial in line.serials or ():
            first = seen.setdefault((line.lic, serial), index)
            if first != index:
                raise rule_error(
                    f"{name}[{index}].serials",
                    f"serial {serial!r} of {line.lic!r} also in {name}[{first}]",
                )
