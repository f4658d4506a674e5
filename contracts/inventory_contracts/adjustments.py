"""Inventory adjustment events (topic ``adjustments.v1``, keyed by ``adjustment_id``).

The ``kind`` fixes the shape of an adjustment:

=================== ================= ================================================
kind                consumed          produced
=================== ================= ================================================
increase            none              at least one, each with ``unit_cost``
beginning_balance   none              at least one, each with ``unit_cost``
decrease            at least one      none
assembly            at least one      exactly one (its cost is the components')
division            exactly one       at least one, optional ``cost_share`` on all or none
=================== ================= ================================================
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal, Self

from pydantic import ConfigDict, Field, model_validator

from inventory_contracts.envelope import ContractModel, Envelope, rule_error, unique_ids
from inventory_contracts.identifiers import Id, Text
from inventory_contracts.limits import MAX_LINES_PER_DOCUMENT
from inventory_contracts.lines import Lines, TrackedLine, unique_serials
from inventory_contracts.quantities import CostShare, Money

__all__ = [
    "AdjustmentConsumedLine",
    "AdjustmentKind",
    "AdjustmentPosted",
    "AdjustmentPostedData",
    "AdjustmentProducedLine",
]


class AdjustmentKind(StrEnum):
    """What an adjustment does; fixes which of ``consumed``/``produced`` it has."""

    INCREASE = "increase"
    DECREASE = "decrease"
    BEGINNING_BALANCE = "beginning_balance"
    ASSEMBLY = "assembly"
    DIVISION = "division"


_PRICED = frozenset({AdjustmentKind.INCREASE, AdjustmentKind.BEGINNING_BALANCE})
# (min consumed, max consumed, min produced, max produced); None means no upper bound.
_SHAPE: dict[AdjustmentKind, tuple[int, int | None, int, int | None]] = {
    AdjustmentKind.INCREASE: (0, 0, 1, None),
    AdjustmentKind.BEGINNING_BALANCE: (0, 0, 1, None),
    AdjustmentKind.DECREASE: (1, None, 0, 0),
    AdjustmentKind.ASSEMBLY: (1, None, 1, 1),
    AdjustmentKind.DIVISION: (1, 1, 1, None),
}


class AdjustmentConsumedLine(TrackedLine):
    """Goods taken out of stock by the adjustment."""


class AdjustmentProducedLine(TrackedLine):
    """Goods put into stock by the adjustment."""

    unit_cost: Money | None = Field(
        default=None,
        description="Unit cost; required for `increase` and `beginning_balance`, else absent.",
    )
    cost_share: CostShare | None = Field(
        default=None,
        description=(
            "`division` only: relative weight of this line in the consumed item's cost; "
            "given on all produced lines or none (then shared by quantity)."
        ),
    )


def _count(low: int, high: int | None) -> dict[str, Any]:
    return {"minItems": low} | ({} if high is None else {"maxItems": high})


def _kind_rules(schema: dict[str, Any]) -> None:
    """Publish the shape table as JSON Schema ``if``/``then``: producers' validators check it."""
    rules: list[dict[str, Any]] = []
    for kind, (low_c, high_c, low_p, high_p) in _SHAPE.items():
        cost: dict[str, Any] = (
            {"required": ["unit_cost"], "properties": {"unit_cost": {"not": {"type": "null"}}}}
            if kind in _PRICED
            else {"properties": {"unit_cost": {"type": "null"}}}
        )
        if kind is not AdjustmentKind.DIVISION:
            cost.setdefault("properties", {})["cost_share"] = {"type": "null"}
        then: dict[str, Any] = {
            "properties": {
                "consumed": _count(low_c, high_c),
                "produced": _count(low_p, high_p) | {"items": cost},
            },
        }
        required = [name for name, low in (("consumed", low_c), ("produced", low_p)) if low]
        if required:
            then["required"] = required
        rules.append({"if": {"properties": {"kind": {"const": kind.value}}}, "then": then})
    schema["allOf"] = rules


def _count_error(kind: AdjustmentKind, low: int, high: int | None) -> str:
    if high == 0:
        return f"must be empty for kind {kind.value!r}"
    if high is None:
        return f"must have at least {low} line(s) for kind {kind.value!r}"
    return f"must have exactly {low} line(s) for kind {kind.value!r}"


class AdjustmentPostedData(ContractModel):
    """An adjustment of stock: a count correction, an opening balance, an assembly, a split.

    The shape each ``kind`` requires is also published as ``allOf``/``if``/``then``. Not
    expressible in JSON Schema, but checked: line ids unique across ``consumed`` and
    ``produced``; ``cost_share`` on all produced lines of a division or on none.
    """

    model_config = ConfigDict(json_schema_extra=_kind_rules)

    adjustment_id: Id = Field(description="Id of the adjustment.")
    kind: AdjustmentKind = Field(description="What the adjustment does; fixes its shape.")
    reason: Text | None = Field(default=None, description="Why it was posted, for people.")
    consumed: Lines[AdjustmentConsumedLine] = Field(
        default=(),
        max_length=MAX_LINES_PER_DOCUMENT,
        description="Goods taken out of stock; line ids unique across consumed and produced.",
    )
    produced: Lines[AdjustmentProducedLine] = Field(
        default=(),
        max_length=MAX_LINES_PER_DOCUMENT,
        description="Goods put into stock; line ids unique across consumed and produced.",
    )

    @model_validator(mode="after")
    def _shape_of_kind(self) -> Self:
        low_c, high_c, low_p, high_p = _SHAPE[self.kind]
        for name, lines, low, high in (
            ("consumed", self.consumed, low_c, high_c),
            ("produced", self.produced, low_p, high_p),
        ):
            if len(lines) < low or (high is not None and len(lines) > high):
                raise rule_error(name, _count_error(self.kind, low, high))
        unique_ids("line_id", ("consumed", self.consumed), ("produced", self.produced))
        unique_serials("consumed", self.consumed)
        unique_serials("produced", self.produced)
        self._check_costs()
        return self

    def _check_costs(self) -> None:
        priced = self.kind in _PRICED
        shares = [line.cost_share is not None for line in self.produced]
        for index, line in enumerate(self.produced):
            if priced and line.unit_cost is None:
                raise rule_error(f"produced[{index}].unit_cost", f"is required for {self.kind!s}")
            if not priced and line.unit_cost is not None:
                raise rule_error(
                    f"produced[{index}].unit_cost",
                    f"must be absent for {self.kind!s}: the cost comes from consumed goods",
                )
            if line.cost_share is not None and self.kind is not AdjustmentKind.DIVISION:
                raise rule_error(f"produced[{index}].cost_share", "is only for division")
            if any(shares) and not shares[index]:
                raise rule_error(
                    f"produced[{index}].cost_share", "must be given on all produced lines or none"
                )


class AdjustmentPosted(Envelope):
    """``adjustment.posted``: stock was corrected, opened, assembled or divided."""

    event_type: Literal["adjustment.posted"] = Field(
        default="adjustment.posted", description="Discriminator of this event type."
    )
    data: AdjustmentPostedData = Field(description="The posted adjustment.")
