"""Read models of the cost books: lot and usage records, mfr-lot and serial stock.

These are what the HTTP API and CLI show (issue 6 part 8) and what reconciliation checks.
Quantities follow the rows: a lot's ``qty`` is what events put on it plus what returns
restocked into it; its ``allocated_qty`` is net of give-backs; a usage's ``returned_qty`` is
everything returns took off it (given back to lots, or cancelled while unallocated).
"""

from __future__ import annotations

from decimal import Decimal

from .cost_books import CostBooks
from .costing import LotCost
from .item import ZERO, ItemKey
from .lot import CostStatus, LotKind, LotRecord
from .serials import in_stock
from .usage import UsageRecord

__all__ = ["lot_records", "mfr_lot_on_hand", "serials_in_stock", "usage_records"]

_UNCOSTED = LotCost(ZERO, CostStatus.ESTIMATED)


def lot_records(books: CostBooks, item: ItemKey | None = None) -> tuple[LotRecord, ...]:
    """Every lot (of ``item``, or of all items), in lot-id order."""
    records: list[LotRecord] = []
    for key in sorted(books.items):
        if item is not None and key != item:
            continue
        book = books.items[key]
        restocked: dict[str, Decimal] = {}
        allocated: dict[str, Decimal] = {}
        for a in book.allocations:
            allocated[a.lot_id] = allocated.get(a.lot_id, ZERO) + a.qty
        for g in book.givebacks:
            if g.lot_id is None:
                continue
            if g.usage_id is None:
                restocked[g.lot_id] = restocked.get(g.lot_id, ZERO) + g.qty
            else:
                allocated[g.lot_id] = allocated.get(g.lot_id, ZERO) - g.qty
        for lid in sorted(book.lots):
            lot = book.lots[lid]
            cost = books.costs.get(lid, _UNCOSTED)
            qty = lot.received + restocked.get(lid, ZERO)
            if lot.kind is LotKind.RETURN and qty == ZERO:
                continue  # a return fully given back leaves no return lot
            records.append(
                LotRecord(lot, qty, allocated.get(lid, ZERO), cost.unit_cost, cost.status)
            )
    return tuple(records)


def usage_records(books: CostBooks, item: ItemKey | None = None) -> tuple[UsageRecord, ...]:
    """Every usage (of ``item``, or of all items), in usage-id order."""
    records: list[UsageRecord] = []
    for key in sorted(books.items):
        if item is not None and key != item:
            continue
        book = books.items[key]
        allocated: dict[str, Decimal] = {}
        returned: dict[str, Decimal] = {}
        for a in book.allocations:
            allocated[a.usage_id] = allocated.get(a.usage_id, ZERO) + a.qty
        for g in book.givebacks:
            if g.usage_id is None:
                continue
            returned[g.usage_id] = returned.get(g.usage_id, ZERO) + g.qty
            if g.lot_id is not None:
                allocated[g.usage_id] -= g.qty
        records.extend(
            UsageRecord(
                book.usages[uid],
                returned.get(uid, ZERO),
                allocated.get(uid, ZERO),
                books.cogs.get(uid, ZERO),
            )
            for uid in sorted(book.usages)
        )
    return tuple(records)


def mfr_lot_on_hand(books: CostBooks, item: ItemKey) -> dict[str | None, Decimal]:
    """Remaining quantity per manufacturer lot, less usage of that lot still unallocated.

    ``None`` collects lots without an mfr lot and unallocated usage naming none.
    """
    on_hand: dict[str | None, Decimal] = {}
    for record in lot_records(books, item):
        mfr = record.lot.mfr_lot
        on_hand[mfr] = on_hand.get(mfr, ZERO) + record.remaining_qty
    for usage in usage_records(books, item):
        mfr = usage.usage.mfr_lot
        on_hand[mfr] = on_hand.get(mfr, ZERO) - usage.unallocated_qty
    return {mfr: qty for mfr, qty in on_hand.items() if qty != ZERO}


def serials_in_stock(books: CostBooks, item: ItemKey) -> frozenset[str]:
    """The item's serial numbers in stock now (per-serial on-hand state)."""
    book = books.items.get(item)
    return frozenset() if book is None else in_stock(book.serial_moves)
