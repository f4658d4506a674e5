"""Lots: the sources of goods (seed: "Inventory Lots — the source of goods").

A :class:`Lot` holds the *facts* about one source: what it is, which document line made it,
the item and manufacturer lot, the quantity received on it from events and when it was first
received. Everything that depends on other records — allocated and remaining quantity, unit
cost and cost status — is derived (see ``allocation`` and ``costing``) and reported in a
:class:`LotRecord`. Lot ids are deterministic (document, line, item, mfr lot), so the same
events always produce the same lots whatever their arrival order.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from .frozen import fast_init
from .item import ZERO, ItemKey
from .moment import Moment

__all__ = ["CostStatus", "Lot", "LotKind", "LotRecord", "lot_id"]


class LotKind(StrEnum):
    """Where the goods came from (the contract's ``kind`` of a lot)."""

    PURCHASE = "purchase"
    PRODUCTION = "production"
    RETURN = "return"
    ADJUSTMENT = "adjustment"
    BEGINNING_BALANCE = "beginning_balance"
    ASSEMBLY = "assembly"
    DIVISION = "division"


class CostStatus(StrEnum):
    """``estimated`` until the cost's source document is final (bill, job close)."""

    ESTIMATED = "estimated"
    FINAL = "final"


def lot_id(document: str, line: str, item: ItemKey, mfr_lot: str | None = None) -> str:
    """The deterministic id of the lot of ``item`` made by ``document`` line ``line``.

    The item is part of the id because a lot belongs to exactly one item; the mfr lot is,
    because goods of different manufacturer lots are never merged into one lot.
    """
    base = f"{document}/{line}:{item.location}/{item.lic}"  # str(item), without its call
    return base if mfr_lot is None else f"{base}#{mfr_lot}"


@fast_init
@dataclass(frozen=True, slots=True)
class Lot:
    """What the events said about one lot.

    ``received`` sums the quantities events put on it (receipts, completed output, produced
    adjustment lines); a give-back restock of a return lot is derived and not counted here.
    ``received_at`` is the first such step (``None`` while nothing arrived), the lot's place
    in FIFO/LIFO order. ``given_cost`` is a unit cost an event stated outright (a receipt
    without PO, an increase), ``cost_share`` a division line's weight.
    Invariant: ``received >= 0``.
    """

    lot_id: str
    kind: LotKind
    item: ItemKey
    document: str
    document_line: str
    mfr_lot: str | None = None
    received: Decimal = ZERO
    received_at: Moment | None = None
    given_cost: Decimal | None = None
    cost_share: Decimal | None = None


@fast_init
@dataclass(frozen=True, slots=True)
class LotRecord:
    """A lot as the queries show it: facts plus derived quantities and cost.

    Invariants: ``0 <= allocated_qty <= qty``; ``remaining_qty = qty - allocated_qty``; the lot
    is open while ``remaining_qty > 0``.
    """

    lot: Lot
    qty: Decimal
    allocated_qty: Decimal
    unit_cost: Decimal
    cost_status: CostStatus

    @property
    def remaining_qty(self) -> Decimal:
        """Quantity not yet allocated to any usage."""
        return self.qty - self.allocated_qty

    @property
    def is_open(self) -> bool:
        """Open while it has unallocated quantity left, closed when used up."""
        return self.remaining_qty > ZERO
