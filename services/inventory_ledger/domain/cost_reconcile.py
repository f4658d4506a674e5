"""Reconciliation of the cost books (issue 6 part 7): invariants 1, 3 and 4 of domain.md.

1. Per item, Σ lot qty - Σ usage net qty = Σ ``on_hand`` transactions.
3. 0 <= allocated <= qty for every usage (net of returns) and lot; an unallocated usage
   has no lot that could serve it with remaining quantity: any lot for a plain usage, lots
   of its mfr lot when it names one, the lots holding its still unallocated serials.
4. COGS of a usage = Σ net allocation * the lot's current unit cost, and the COGS journal
   posted for it sums to the same.

Each breach is reported with the numbers, never fixed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from .allocation import Step
from .cost_books import CostBooks
from .cost_queries import lot_records, usage_records
from .item import ZERO, Bucket, ItemKey
from .lot import LotRecord
from .moment import Moment
from .reallocation import state_at
from .transaction import Transaction
from .usage import UsageRecord

__all__ = ["CostMismatch", "reconcile_costs"]

_END = Moment(datetime.max.replace(tzinfo=UTC), "")


@dataclass(frozen=True, slots=True)
class CostMismatch:
    """A broken invariant: which one, about what, and the two figures that disagree."""

    item: ItemKey
    invariant: int
    subject: str
    expected: Decimal
    actual: Decimal


def reconcile_costs(
    books: CostBooks, transactions: Iterable[Transaction]
) -> tuple[CostMismatch, ...]:
    """Every breach of invariants 1, 3 and 4 (empty when the books are sound)."""
    on_hand: dict[ItemKey, Decimal] = {}
    for txn in transactions:
        if txn.bucket is Bucket.ON_HAND:
            on_hand[txn.item] = on_hand.get(txn.item, ZERO) + txn.qty
    found: list[CostMismatch] = []
    for item in sorted({*books.items, *on_hand}):
        lots, usages = lot_records(books, item), usage_records(books, item)
        holders = _holders(books, item)
        net = sum((r.qty for r in lots), ZERO) - sum((u.net_qty for u in usages), ZERO)
        if net != on_hand.get(item, ZERO):
            found.append(CostMismatch(item, 1, "on_hand", on_hand.get(item, ZERO), net))
        found.extend(
            CostMismatch(item, 3, lot.lot.lot_id, lot.qty, lot.allocated_qty)
            for lot in lots
            if not ZERO <= lot.allocated_qty <= lot.qty
        )
        for usage in usages:
            uid = usage.usage.usage_id
            if not ZERO <= usage.allocated_qty <= usage.net_qty:
                found.append(CostMismatch(item, 3, uid, usage.net_qty, usage.allocated_qty))
            if usage.is_unallocated:
                free = sum((r.remaining_qty for r in lots if _serves(r, usage, holders)), ZERO)
                if free > ZERO:
                    found.append(CostMismatch(item, 3, f"{uid} unallocated", ZERO, free))
        found.extend(_cogs(books, item))
    return tuple(found)


def _holders(books: CostBooks, item: ItemKey) -> dict[str, set[str]]:
    """Usage -> lots holding its unallocated serials, rebuilt from the rows alone."""
    book = books.items.get(item)
    if book is None:
        return {}
    mfr = {lid: lot.mfr_lot for lid, lot in book.lots.items()}
    steps: list[Step] = [*book.supplies, *book.usages.values(), *book.returns]
    state = state_at(book.method, mfr, book.usages, steps, (book.allocations, book.givebacks), _END)
    return {
        usage_id: {state.holders[s] for s in serials if s in state.holders}
        for usage_id, serials in state.pending_serials.items()
    }


def _serves(lot: LotRecord, usage: UsageRecord, holders: dict[str, set[str]]) -> bool:
    if usage.usage.serials:
        return lot.lot.lot_id in holders.get(usage.usage.usage_id, set())
    return usage.usage.mfr_lot is None or lot.lot.mfr_lot == usage.usage.mfr_lot


def _cogs(books: CostBooks, item: ItemKey) -> list[CostMismatch]:
    book = books.items.get(item)
    if book is None:
        return []
    expected: dict[str, Decimal] = {}
    for a in book.allocations:
        cost = books.costs[a.lot_id].unit_cost
        expected[a.usage_id] = expected.get(a.usage_id, ZERO) + a.qty * cost
    for g in book.givebacks:
        if g.usage_id is not None and g.lot_id is not None:
            expected[g.usage_id] -= g.qty * books.costs[g.lot_id].unit_cost
    posted: dict[str, Decimal] = {}
    for (uid, _), amount in books.posted.items():
        posted[uid] = posted.get(uid, ZERO) + amount
    found: list[CostMismatch] = []
    for uid in sorted(book.usages):
        want = expected.get(uid, ZERO)
        found.extend(
            CostMismatch(item, 4, uid, want, actual)
            for actual in (books.cogs.get(uid, ZERO), posted.get(uid, ZERO))
            if actual != want
        )
    return found
