"""Inventory transactions: the signed, immutable lines of the inventory ledger."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from .item import ZERO, Bucket, ItemKey

__all__ = ["Transaction"]


@dataclass(frozen=True, slots=True)
class Transaction:
    """A quantity change of one bucket of one item, and what caused it.

    Positive increases the balance, negative decreases it (usage of 3 ⇒ ``on_hand`` -3).
    ``document``/``document_line`` name the line the change belongs to: the PO, order or job
    line for ``on_order``/``demand``; the shipment, job or adjustment line for ``on_hand``.
    ``mfr_lot`` is set on ``on_hand`` lines of lot-tracked goods (one transaction per lot).
    ``occurred_at`` is the business time of the causing event. ``on_order``/``demand``
    differences are stamped with the event that revealed them, so an as-of sum of those two
    buckets reflects the events *delivered* by then (a PO opened after its receipt arrived
    posts only its still-open part, at the PO's time); ``on_hand`` as-of is exact.
    Invariant: ``qty != 0`` — a change of nothing is never a ledger line.
    """

    item: ItemKey
    bucket: Bucket
    qty: Decimal
    occurred_at: datetime
    event_id: str
    document: str
    document_line: str | None = None
    mfr_lot: str | None = None

    def __post_init__(self) -> None:
        """Refuse zero-quantity lines, which would be noise in an append-only ledger."""
        if self.qty == ZERO:
            msg = f"zero-quantity transaction for {self.item} {self.bucket} ({self.event_id})"
            raise ValueError(msg)
