"""Read side of the cost books: lots, usage, COGS with its allocations, cost layers, and the
reconciliation of invariants 1, 3 and 4 (domain.md) over the stored rows.

The rows are written by the unit of work's cost side (``CostTracker``); every read here is
plain SQL over them. Lots and usages page with a keyset on (location, lic, id), so a walk is
grouped by item and each page is one index range scan, however deep.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from inventory_ledger.adapters.postgres import queries
from inventory_ledger.adapters.postgres.connection import Connection
from inventory_ledger.domain.balance import Balance
from inventory_ledger.domain.item import ItemKey

__all__ = [
    "AllocationRow",
    "CostBreach",
    "CostReconciliation",
    "ItemKeyCursor",
    "LotPage",
    "LotRow",
    "LotStatus",
    "OnHandCheck",
    "UnallocatedSummary",
    "UsageCogs",
    "UsagePage",
    "UsageRow",
    "cogs_by_document",
    "cogs_of_usages",
    "cost_layers",
    "lots",
    "reconcile_costs",
    "top_cogs",
    "unallocated_summary",
    "usage",
]

LotStatus = Literal["open", "closed"]

ItemKeyCursor = tuple[str, str, str]
"""Keyset position of a lot or usage row: (location, lic, id) of the last row of a page."""


@dataclass(frozen=True, slots=True)
class LotRow:
    """A lot as stored: facts, allocated and remaining quantity, current unit cost."""

    lot_id: str
    kind: str
    item: ItemKey
    document: str
    document_line: str
    mfr_lot: str | None
    qty: Decimal
    allocated_qty: Decimal
    remaining_qty: Decimal
    unit_cost: Decimal
    cost_status: str
    received_at: datetime | None

    @property
    def key(self) -> ItemKeyCursor:
        return (self.item.location, self.item.lic, self.lot_id)


@dataclass(frozen=True, slots=True)
class UsageRow:
    """A usage as stored: ``unallocated_qty = qty - returned_qty - allocated_qty``."""

    usage_id: str
    kind: str
    item: ItemKey
    document: str
    document_line: str
    mfr_lot: str | None
    qty: Decimal
    returned_qty: Decimal
    allocated_qty: Decimal
    unallocated_qty: Decimal
    cogs: Decimal
    occurred_at: datetime

    @property
    def key(self) -> ItemKeyCursor:
        return (self.item.location, self.item.lic, self.usage_id)


@dataclass(frozen=True, slots=True)
class LotPage:
    """Up to ``limit`` lots in (location, lic, lot_id) order; ``last`` is set when more follow."""

    items: tuple[LotRow, ...]
    last: ItemKeyCursor | None


@dataclass(frozen=True, slots=True)
class UsagePage:
    """Up to ``limit`` usages in (location, lic, usage_id) order; ``last`` set when more follow."""

    items: tuple[UsageRow, ...]
    last: ItemKeyCursor | None


@dataclass(frozen=True, slots=True)
class AllocationRow:
    """Units of a usage drawn from a lot at the lot's unit cost; ``amount = qty x unit_cost``."""

    lot_id: str
    qty: Decimal
    unit_cost: Decimal
    amount: Decimal
    lot_kind: str | None
    lot_document: str | None
    cost_status: str | None
    """Lot fields are ``None`` only if the lot row is missing (a reconciliation breach)."""


@dataclass(frozen=True, slots=True)
class UsageCogs:
    """A usage with the allocations its COGS is made of."""

    usage: UsageRow
    allocations: tuple[AllocationRow, ...]


@dataclass(frozen=True, slots=True)
class UnallocatedSummary:
    """Usages still waiting for a lot (negative stock): how many, of how many items, how much."""

    usages: int
    items: int
    qty: Decimal


def _lot(r: Mapping[str, Any]) -> LotRow:
    return LotRow(
        lot_id=r["lot_id"],
        kind=r["kind"],
        item=ItemKey(r["lic"], r["location"]),
        document=r["document"],
        document_line=r["document_line"],
        mfr_lot=r["mfr_lot"],
        qty=r["qty"],
        allocated_qty=r["allocated_qty"],
        remaining_qty=r["remaining_qty"],
        unit_cost=r["unit_cost"],
        cost_status=r["cost_status"],
        received_at=r["received_at"],
    )


def _usage(r: Mapping[str, Any]) -> UsageRow:
    return UsageRow(
        usage_id=r["usage_id"],
        kind=r["kind"],
        item=ItemKey(r["lic"], r["location"]),
        document=r["document"],
        document_line=r["document_line"],
        mfr_lot=r["mfr_lot"],
        qty=r["qty"],
        returned_qty=r["returned_qty"],
        allocated_qty=r["allocated_qty"],
        unallocated_qty=r["unallocated_qty"],
        cogs=r["cogs"],
        occurred_at=r["occurred_at"],
    )


def _after(after: ItemKeyCursor | None) -> tuple[str | None, str | None, str | None]:
    return (None, None, None) if after is None else after


async def lots(
    conn: Connection,
    *,
    limit: int,
    lic: str | None = None,
    location: str | None = None,
    status: LotStatus | None = None,
    after: ItemKeyCursor | None = None,
) -> LotPage:
    """Lots after ``after`` matching the filters; ``open`` lots have remaining quantity.

    One row more than ``limit`` is read to tell whether another page exists without a count.
    """
    rows = await conn.fetch(queries.LOTS_PAGE, *_after(after), lic, location, status, limit + 1)
    items = tuple(_lot(r) for r in rows[:limit])
    return LotPage(items, items[-1].key if len(rows) > limit else None)


async def usage(
    conn: Connection,
    *,
    limit: int,
    lic: str | None = None,
    location: str | None = None,
    unallocated: bool = False,
    after: ItemKeyCursor | None = None,
) -> UsagePage:
    """Usages after ``after`` matching the filters; ``unallocated``: only those awaiting a lot."""
    rows = await conn.fetch(
        queries.USAGE_PAGE, *_after(after), lic, location, unallocated, limit + 1
    )
    items = tuple(_usage(r) for r in rows[:limit])
    return UsagePage(items, items[-1].key if len(rows) > limit else None)


async def _with_allocations(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> list[UsageCogs]:
    usages = [_usage(r) for r in rows]
    found: dict[str, list[AllocationRow]] = {u.usage_id: [] for u in usages}
    if usages:
        for a in await conn.fetch(queries.ALLOCATIONS_OF_USAGES, list(found)):
            found[a["usage_id"]].append(
                AllocationRow(
                    lot_id=a["lot_id"],
                    qty=a["qty"],
                    unit_cost=a["unit_cost"],
                    amount=a["amount"],
                    lot_kind=a["kind"],
                    lot_document=a["document"],
                    cost_status=a["cost_status"],
                )
            )
    return [UsageCogs(u, tuple(found[u.usage_id])) for u in usages]


async def cogs_by_document(conn: Connection, document: str) -> list[UsageCogs]:
    """Every usage of ``document`` (e.g. ``shipment:S-1``) with its allocations, by usage id."""
    return await _with_allocations(conn, await conn.fetch(queries.USAGES_OF_DOCUMENT, document))


async def cogs_of_usages(conn: Connection, usage_ids: Sequence[str]) -> list[UsageCogs]:
    """The named usages (those that exist) with their allocations, by usage id."""
    return await _with_allocations(conn, await conn.fetch(queries.USAGES_BY_ID, list(usage_ids)))


async def top_cogs(conn: Connection, limit: int) -> list[UsageCogs]:
    """The ``limit`` usages with the largest COGS, with their allocations."""
    return await _with_allocations(conn, await conn.fetch(queries.USAGES_TOP_COGS, limit))


async def unallocated_summary(conn: Connection) -> UnallocatedSummary:
    """How many usages (of how many items, for how much quantity) wait for a lot."""
    row = await conn.fetchrow(queries.UNALLOCATED_USAGE_SUMMARY)
    assert row is not None  # an aggregate without GROUP BY always returns its row
    return UnallocatedSummary(row["usages"], row["items"], row["qty"])


async def cost_layers(conn: Connection, lic: str, location: str) -> list[LotRow]:
    """The item's open lots (remaining quantity, unit cost) in FIFO order: received_at, lot_id."""
    return [_lot(r) for r in await conn.fetch(queries.COST_LAYERS, lic, location)]


# --- reconciliation ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OnHandCheck:
    """Invariant 1 of one item: ``lots - usage`` should equal ``on_hand_txns`` and on_hand."""

    item: ItemKey
    lots: Decimal
    """Σ qty of the item's lots."""
    usage: Decimal
    """Σ net qty (qty - returned_qty) of the item's usages."""
    on_hand_txns: Decimal
    balance: Balance
    """The item's balances row (zeros when it has none)."""

    @property
    def ok(self) -> bool:
        net = self.lots - self.usage
        return net == self.on_hand_txns and net == self.balance.on_hand


@dataclass(frozen=True, slots=True)
class CostBreach:
    """A lot or usage row that breaks invariant 3 or 4: which ``rule``, and the two figures."""

    item: ItemKey
    invariant: int
    subject: str
    """The lot id, usage id, or ``usage_id <- lot_id`` of an allocation row."""
    rule: str
    expected: Decimal | None
    """``None`` when an allocation names a lot that does not exist."""
    actual: Decimal


@dataclass(frozen=True, slots=True)
class CostReconciliation:
    """Invariants 1, 3 and 4 over one snapshot of the cost rows and the quantity ledger.

    ``kept`` is false while the cost books were never written (no event in the cost log, no
    lot, no usage): a quantity-only ledger has no lots or usage, so invariant 1 is not checked.
    """

    kept: bool
    lots_checked: int
    usages_checked: int
    figures: Mapping[ItemKey, OnHandCheck]
    """Invariant-1 figures of every item checked (with a balance row, a transaction, a lot or
    a usage), by location and lic."""
    breaches: tuple[CostBreach, ...]
    """Lot, usage and allocation rows breaking invariant 3 or 4, by item."""

    @property
    def items_checked(self) -> int:
        return len(self.figures)

    @property
    def mismatched(self) -> tuple[OnHandCheck, ...]:
        """Items breaking invariant 1 (when ``kept``) or with a breach, by location and lic."""
        breached = {b.item for b in self.breaches}
        return tuple(
            c for c in self.figures.values() if (self.kept and not c.ok) or c.item in breached
        )

    @property
    def ok(self) -> bool:
        return not self.mismatched and not self.breaches


async def reconcile_costs(conn: Connection) -> CostReconciliation:
    """Check invariants 1, 3 and 4 in one repeatable-read snapshot (nestable in a caller's)."""
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        state = await conn.fetchrow(queries.COST_BOOKS_STATE)
        assert state is not None  # migration 0003 inserts the singleton row
        rows = await conn.fetch(queries.RECONCILE_COST_ITEMS)
        breach_rows = await conn.fetch(queries.RECONCILE_COST_ROWS)
    figures = {
        check.item: check
        for check in (
            OnHandCheck(
                ItemKey(r["lic"], r["location"]),
                r["lots"],
                r["usage"],
                r["on_hand_txns"],
                Balance(r["on_hand_balance"], r["on_order_balance"], r["demand_balance"]),
            )
            for r in rows
        )
    }
    breaches = tuple(
        CostBreach(
            ItemKey(r["lic"], r["location"]),
            r["invariant"],
            r["subject"],
            r["rule"],
            r["expected"],
            r["actual"],
        )
        for r in breach_rows
    )
    return CostReconciliation(
        kept=state["position"] > 0 or state["lots"] > 0 or state["usages"] > 0,
        lots_checked=state["lots"],
        usages_checked=state["usages"],
        figures=figures,
        breaches=breaches,
    )
