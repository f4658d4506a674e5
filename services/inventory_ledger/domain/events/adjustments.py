"""Events of ``adjustments.v1``: manual stock corrections, assemblies and divisions."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar

from ..item import ItemKey
from .business_event import BusinessEvent

__all__ = ["AdjustmentKind", "AdjustmentLine", "AdjustmentPosted"]


class AdjustmentKind(StrEnum):
    """What an adjustment does; fixes which of ``consumed``/``produced`` it may carry.

    increase, beginning_balance: produced only; decrease: consumed only; assembly: consumed
    components into exactly one produced item; division: exactly one consumed item into
    several produced items.
    """

    INCREASE = "increase"
    DECREASE = "decrease"
    BEGINNING_BALANCE = "beginning_balance"
    ASSEMBLY = "assembly"
    DIVISION = "division"


@dataclass(frozen=True, slots=True, kw_only=True)
class AdjustmentLine:
    """One consumed or produced line of an adjustment.

    ``unit_cost`` is carried by produced lines of increase / beginning_balance; ``cost_share``
    is an optional weight of a division's produced line.
    """

    line_id: str
    item: ItemKey
    qty: Decimal
    mfr_lot: str | None = None
    serials: tuple[str, ...] = ()
    unit_cost: Decimal | None = None
    cost_share: Decimal | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AdjustmentPosted(BusinessEvent):
    """An inventory adjustment was posted: consumed lines leave stock, produced lines enter."""

    event_type: ClassVar[str] = "adjustment.posted"
    adjustment_id: str
    kind: AdjustmentKind
    reason: str | None = None
    consumed: tuple[AdjustmentLine, ...] = ()
    produced: tuple[AdjustmentLine, ...] = ()
