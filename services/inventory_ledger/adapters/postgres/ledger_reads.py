"""Read side of the ledger: current and as-of balances, and the quantity reconciliation.

As-of balances are sums of the immutable transactions up to a business time; the balance
table is only a cache of the same sums, which :func:`reconcile_balances` proves row by row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from inventory_ledger.adapters.postgres import queries
from inventory_ledger.adapters.postgres.connection import Connection
from inventory_ledger.domain.balance import Balance, Mismatch
from inventory_ledger.domain.item import ItemKey

__all__ = [
    "ItemBalance",
    "LedgerCounts",
    "Reconciliation",
    "balances",
    "dead_letter_counts",
    "ledger_counts",
    "outbox_backlog",
    "reconcile_balances",
]


@dataclass(frozen=True, slots=True)
class ItemBalance:
    item: ItemKey
    balance: Balance
    version: int | None
    """``None`` for as-of balances, which are computed from the ledger, not the cache."""


@dataclass(frozen=True, slots=True)
class Reconciliation:
    items_checked: int
    mismatches: tuple[Mismatch, ...]

    @property
    def ok(self) -> bool:
        return not self.mismatches


async def balances(
    conn: Connection,
    *,
    lic: str | None = None,
    location: str | None = None,
    as_of: datetime | None = None,
) -> list[ItemBalance]:
    """Balances per item (filtered); with ``as_of``, Σ transactions up to that business time."""
    if as_of is None:
        rows = await conn.fetch(queries.BALANCES_CURRENT, lic, location)
    else:
        rows = await conn.fetch(queries.BALANCES_AS_OF, lic, location, as_of)
    return [
        ItemBalance(
            ItemKey(r["lic"], r["location"]),
            Balance(r["on_hand"], r["on_order"], r["demand"]),
            r["version"] if as_of is None else None,
        )
        for r in rows
    ]


@dataclass(frozen=True, slots=True)
class LedgerCounts:
    """How much the ledger holds, and what the relay still has to publish."""

    processed: int
    transactions: int
    outbox_published: int
    outbox_pending: int
    dead_letters_pending: int


async def ledger_counts(conn: Connection) -> LedgerCounts:
    """Events processed, transactions, and the outbox / dead-letter backlog, in one query."""
    row = await conn.fetchrow(queries.LEDGER_COUNTS)
    assert row is not None  # a SELECT without FROM always returns its row
    return LedgerCounts(**dict(row))


async def dead_letter_counts(conn: Connection) -> dict[str, tuple[int, int]]:
    """Dead letters per reason: (standing, replayed or cured since)."""
    rows = await conn.fetch(queries.DEAD_LETTER_COUNTS)
    return {r["reason"]: (r["n"], r["replayed"]) for r in rows}


async def outbox_backlog(conn: Connection) -> int:
    """balance_changed rows committed but not yet acknowledged by the broker."""
    return int(await conn.fetchval(queries.OUTBOX_BACKLOG))


async def reconcile_balances(conn: Connection) -> Reconciliation:
    """Every item whose cached balances differ from Σ its transactions per bucket."""
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        rows = await conn.fetch(queries.RECONCILE_BALANCES)
    mismatches = tuple(
        Mismatch(
            ItemKey(r["lic"], r["location"]),
            Balance(r["balance_on_hand"], r["balance_on_order"], r["balance_demand"]),
            Balance(r["txn_on_hand"], r["txn_on_order"], r["txn_demand"]),
        )
        for r in rows
        if r["mismatch"]
    )
    return Reconciliation(items_checked=len(rows), mismatches=mismatches)
