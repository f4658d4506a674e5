"""Usage: the uses of goods (seed: "Inventory Usage — the use of goods").

A :class:`Usage` is one goods-out line of an event: a shipment line, a job's consumed
materials, a decrease, an assembly's component, a division's source. Its quantity is
positive; usage of 3 goes with an ``on_hand`` transaction of -3. Naming ``mfr_lot`` or
``serials`` asks for specific identification: it is allocated only to lots holding them.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from .frozen import fast_init
from .item import ZERO, ItemKey
from .moment import Moment

__all__ = ["Usage", "UsageKind", "UsageRecord"]


class UsageKind(StrEnum):
    """What used the goods (the contract's ``kind`` of a usage)."""

    SHIPMENT = "shipment"
    JOB = "job"
    ADJUSTMENT = "adjustment"
    ASSEMBLY = "assembly"
    DIVISION = "division"


@fast_init
@dataclass(frozen=True, slots=True)
class Usage:
    """One use of goods, at business-time position ``at``. Invariant: ``qty > 0``."""

    usage_id: str
    kind: UsageKind
    item: ItemKey
    document: str
    document_line: str
    qty: Decimal
    at: Moment
    mfr_lot: str | None = None
    serials: tuple[str, ...] = ()


@fast_init
@dataclass(frozen=True, slots=True)
class UsageRecord:
    """A usage as the queries show it.

    ``returned_qty`` is what customer returns gave back (a give-back is a negative usage),
    so the usage's net quantity is ``qty - returned_qty``. Invariants:
    ``0 <= allocated_qty <= qty - returned_qty``; ``cogs`` = Σ net allocation * lot unit cost.
    """

    usage: Usage
    returned_qty: Decimal
    allocated_qty: Decimal
    cogs: Decimal

    @property
    def net_qty(self) -> Decimal:
        """Quantity used after give-backs."""
        return self.usage.qty - self.returned_qty

    @property
    def unallocated_qty(self) -> Decimal:
        """Quantity still waiting for a lot (negative stock)."""
        return self.net_qty - self.allocated_qty

    @property
    def is_unallocated(self) -> bool:
        """Whether part of the usage found no lot yet."""
        return self.unallocated_qty > ZERO
