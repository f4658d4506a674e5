"""The lookups costing reads besides its inputs, built at once or kept up to date.

``evaluate`` builds a :class:`CostIndex` from scratch; the incremental fold keeps one and
updates it with each event's lots, usages and bills (:meth:`CostIndex.add_lot`,
:meth:`CostIndex.add_usage`, :meth:`CostIndex.add_bill`, :meth:`CostIndex.rebill`), so no
lookup ever scans the books. A PO line's billed unit cost is computed per line key exactly
as the full evaluation does, bills in event-id order (see ``costing`` for the rule).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal

from .events import PurchaseOpened
from .item import ZERO, ItemKey
from .lot import Lot, LotKind
from .moment import Moment
from .usage import Usage

__all__ = ["COST_PLACES", "ROLLED", "CostIndex", "po_key", "unit_cost"]

COST_PLACES = Decimal("0.000001")

ROLLED = frozenset({LotKind.PRODUCTION, LotKind.ASSEMBLY, LotKind.DIVISION})
"""Lot kinds whose cost rolls up from their document's usages."""

_PURCHASE, _RETURN = LotKind.PURCHASE, LotKind.RETURN

Billed = tuple[str, tuple[str, ...], PurchaseOpened]
"""A bill touching a PO line: its event id, the PO line of each of its lines, the bill."""


def _by_id(billed: Billed) -> str:
    return billed[0]


Arrival = tuple[datetime, str, str, str]
"""A lot's first arrival (its moment's key) and the lot id."""


def _key(at: Moment) -> tuple[datetime, str, str]:
    return (at.at, at.event_id, at.seq)


def _item(item: ItemKey) -> tuple[str, str]:
    return (item.lic, item.location)


def unit_cost(amount: Decimal, qty: Decimal) -> Decimal:
    """``amount ÷ qty`` rounded half-even to :data:`COST_PLACES` (0 for no quantity)."""
    return (amount / qty).quantize(COST_PLACES, ROUND_HALF_EVEN) if qty else ZERO


def po_key(lot: Lot) -> str | None:
    """The PO line (``purchase_order:<po>/<line>``) a purchase lot belongs to, if any."""
    if lot.kind is _PURCHASE and lot.document.startswith("purchase_order:"):
        return f"{lot.document}/{lot.document_line}"
    return None


@dataclass(slots=True)
class CostIndex:
    """Lots per document, usages per document, arrivals per item, PO lines and their bills.

    ``arrivals``: per item (as ``(lic, location)``: a plain tuple hashes in C, an
    :class:`ItemKey` through its dataclass ``__hash__``), sorted (first arrival, lot id) of
    its non-return lots ("latest unit cost" lookups); ``returns``: the same for its return
    lots; ``billed``: PO line -> billed unit cost (lines with a bill only).
    """

    by_doc: dict[str, list[str]] = field(default_factory=dict)
    rolled: dict[str, list[str]] = field(default_factory=dict)
    """Document -> its production, assembly and division lots (their cost reads its usages)."""
    used_by_doc: dict[str, list[str]] = field(default_factory=dict)
    arrivals: dict[tuple[str, str], list[Arrival]] = field(default_factory=dict)
    returns: dict[tuple[str, str], list[Arrival]] = field(default_factory=dict)
    key_lots: dict[str, list[str]] = field(default_factory=dict)
    key_of: dict[str, str] = field(default_factory=dict)
    """Purchase lot -> its PO line (lots of a PO only)."""
    key_bills: dict[str, list[Billed]] = field(default_factory=dict)
    billed: dict[str, Decimal] = field(default_factory=dict)

    @classmethod
    def build(
        cls, lots: Iterable[Lot], usages: Iterable[Usage], bills: Iterable[PurchaseOpened]
    ) -> CostIndex:
        """The index of the given books, from scratch."""
        index, all_lots = cls(), {lot.lot_id: lot for lot in lots}
        for lot in all_lots.values():
            index.add_lot(lot, None)
        for usage in usages:
            index.add_usage(usage)
        keys = {key for bill in bills for key in index.add_bill(bill)}
        index.rebill(keys, all_lots)
        return index

    def add_lot(self, lot: Lot, old: Lot | None) -> list[str]:
        """Index a new lot, or a known lot (``old``) whose facts changed.

        Returns the return lots that followed the lot's old place (moved to an earlier
        arrival, it may no longer be their latest lot); its new followers are
        :meth:`followers`.
        """
        if old is None:
            insort(self.by_doc.setdefault(lot.document, []), lot.lot_id)
            if lot.kind in ROLLED:
                self.rolled.setdefault(lot.document, []).append(lot.lot_id)
            if (key := po_key(lot)) is not None:
                self.key_lots.setdefault(key, []).append(lot.lot_id)
                self.key_of[lot.lot_id] = key
        if lot.received_at is None or (
            old is not None
            and (old.received_at is lot.received_at or old.received_at == lot.received_at)
        ):
            return []
        places = self.returns if lot.kind is _RETURN else self.arrivals
        arrivals = places.setdefault(_item(lot.item), [])
        left: list[str] = []
        if old is not None and old.received_at is not None:
            left = self.followers(old)
            arrivals.remove((*_key(old.received_at), lot.lot_id))
        insort(arrivals, (*_key(lot.received_at), lot.lot_id))
        return left

    def add_usage(self, usage: Usage) -> None:
        """Index a new usage."""
        insort(self.used_by_doc.setdefault(usage.document, []), usage.usage_id)

    def add_bill(self, bill: PurchaseOpened) -> set[str]:
        """Index a bill; the PO lines whose billed cost must be recomputed."""
        lines = tuple(f"purchase_order:{bill.po_id}/{line.po_line_id}" for line in bill.lines)
        for key in set(lines):
            insort(self.key_bills.setdefault(key, []), (bill.event_id, lines, bill), key=_by_id)
        return self.spread_over(lines)

    def spread_over(self, keys: Iterable[str]) -> set[str]:
        """``keys`` and every PO line sharing a bill with one (freight is spread over them)."""
        found = set(keys)
        for key in list(found):
            for _, lines, _ in self.key_bills.get(key, ()):
                found.update(lines)
        return found

    def rebill(self, keys: Iterable[str], lots: Mapping[str, Lot]) -> None:
        """Recompute the billed unit cost of the PO lines ``keys``."""
        received: dict[str, Decimal] = {}  # each PO line's received qty, summed once here
        for key in keys:
            if key in self.key_bills:
                self.billed[key] = self._billed(key, lots, received)

    def latest_before(self, lot: Lot) -> str | None:
        """The item's latest non-return lot that arrived before ``lot`` did."""
        arrivals = self.arrivals.get(_item(lot.item), [])
        if lot.received_at is None:
            return None
        at = lot.received_at
        before = bisect_left(arrivals, (at.at, at.event_id, at.seq, ""))
        return arrivals[before - 1][3] if before else None

    def followers(self, lot: Lot) -> list[str]:
        """The return lots whose "latest lot before" is ``lot``'s place or follows it."""
        item = lot.item
        returns = self.returns.get((item.lic, item.location))
        if not returns or lot.received_at is None or lot.kind is _RETURN:
            return []
        at = lot.received_at
        place = (at.at, at.event_id, at.seq)
        if returns[-1][:3] <= place:
            return []  # no return after it: the usual case for a new arrival
        arrivals = self.arrivals.get((item.lic, item.location), [])
        after = bisect_right(arrivals, (*place, lot.lot_id))
        start = bisect_right(returns, (*place, "\uffff"))
        stop = (
            bisect_right(returns, (*arrivals[after][:3], "\uffff"))
            if after < len(arrivals)
            else len(returns)
        )
        return [arrival[3] for arrival in returns[start:stop]]

    def _received(self, key: str, lots: Mapping[str, Lot], memo: dict[str, Decimal]) -> Decimal:
        found = memo.get(key)
        if found is None:
            found = ZERO
            for lid in self.key_lots.get(key, ()):
                found = found + lots[lid].received  # as sum(..., ZERO) adds, in lot order
            memo[key] = found
        return found

    def _billed(self, key: str, lots: Mapping[str, Lot], memo: dict[str, Decimal]) -> Decimal:
        amount, billed_qty = ZERO, ZERO
        for _, keys, bill in self.key_bills[key]:
            spread = ZERO
            for k in set(keys):
                spread = spread + self._received(k, lots, memo)
            for line_key, line in zip(keys, bill.lines, strict=True):
                if line_key == key:
                    amount += line.qty * line.unit_cost
                    billed_qty += line.qty
            if bill.freight and spread:
                amount += bill.freight * self._received(key, lots, memo) / spread
        return unit_cost(amount, self._received(key, lots, memo) or billed_qty)
