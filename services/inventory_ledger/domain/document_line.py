"""The state of one line of a purchase order, customer order or job.

A line remembers only what the events said about it: what the document orders (``ordered``,
from the document's own opening/changed events, in their topic order) and what was fulfilled
against it (``fulfilled``: received, shipped, consumed or completed, summed from whichever
topic reported it). Sums commute, and the document's own events keep their order, so the
final state of a line does not depend on how the topics interleave.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Final, NamedTuple

from .item import ZERO, Bucket, ItemKey

__all__ = ["DocumentKey", "DocumentKind", "LineKey", "LineRole", "LineState"]


class DocumentKind(StrEnum):
    """A document whose lines contribute to ``on_order`` or ``demand``."""

    PURCHASE_ORDER = "purchase_order"
    ORDER = "order"
    JOB = "job"


class DocumentKey(NamedTuple):
    """A document; ordered so that locks can be taken in one deterministic order.

    A named tuple rather than a dataclass: every batch hashes, compares and sorts its
    documents' keys a dozen times per event, and a tuple does that in C (same order, equality,
    hash and ``repr`` as the ordered frozen dataclass it replaces).
    """

    kind: DocumentKind
    document_id: str

    def __str__(self) -> str:
        """The ``document`` of a transaction, e.g. ``purchase_order:PO-1``."""
        return f"{self.kind}:{self.document_id}"


class LineRole(StrEnum):
    """What a line is for; fixes the bucket and the sign of its contribution.

    PO lines and job outputs are goods coming in (``on_order``, positive); order lines and
    job inputs are goods going out (``demand``, negative).
    """

    PURCHASE = "purchase"
    SALE = "sale"
    OUTPUT = "output"
    INPUT = "input"

    @property
    def bucket(self) -> Bucket:
        """The bucket the line's open quantity counts in."""
        return _BUCKETS[self]

    @property
    def sign(self) -> int:
        """+1 for goods coming in, -1 for goods going out."""
        return _SIGNS[self]


# Looked up, not derived per call: both are read for every contributing line of every event.
_BUCKETS: Final[dict[LineRole, Bucket]] = {
    LineRole.PURCHASE: Bucket.ON_ORDER,
    LineRole.OUTPUT: Bucket.ON_ORDER,
    LineRole.SALE: Bucket.DEMAND,
    LineRole.INPUT: Bucket.DEMAND,
}
_SIGNS: Final[dict[LineRole, int]] = {
    role: 1 if bucket is Bucket.ON_ORDER else -1 for role, bucket in _BUCKETS.items()
}


@dataclass(frozen=True, slots=True, order=True)
class LineKey:
    """One line of one document. A job's outputs and inputs are numbered apart, hence ``role``."""

    document: DocumentKey
    role: LineRole
    line_id: str

    @property
    def label(self) -> str:
        """The ``document_line`` of a transaction: the line id, role-prefixed for jobs."""
        if self.document.kind is DocumentKind.JOB:
            return f"{self.role}:{self.line_id}"
        return self.line_id


@dataclass(frozen=True, slots=True)
class LineState:
    """What is known about one document line.

    ``item`` is ``None`` until the document itself lists the line (a receipt may name a PO
    line before the PO arrives on its own topic); such a line has nothing ordered and
    contributes nothing until it is listed. A line the document no longer lists keeps its item
    with ``ordered`` 0, so its contribution drops to 0 and its history stays readable.
    Invariant: ``ordered >= 0`` and ``fulfilled >= 0``.
    """

    key: LineKey
    item: ItemKey | None = None
    ordered: Decimal = ZERO
    fulfilled: Decimal = ZERO

    @property
    def listed(self) -> bool:
        """Whether the document has named this line (with an item) at least once."""
        return self.item is not None

    @property
    def open_qty(self) -> Decimal:
        """What is still expected on the line: ``max(ordered - fulfilled, 0)``.

        Over-fulfilment (over-receipt, over-shipment) never makes it negative, which is what
        keeps ``on_order`` >= 0 and ``demand`` <= 0 per line.
        """
        return max(self.ordered - self.fulfilled, ZERO)
