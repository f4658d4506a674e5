"""Reading the ledger's lines page by page (keyset on ``transactions.id``) and pinging the pool.

Keyset, not ``OFFSET``: each page is one index range scan that starts after the last id of the
previous page, so a walk costs the same per page however deep it goes, and rows appended while
someone pages never shift later pages. Ids are assigned at insert but become visible at commit,
so a row with a lower id may appear after a reader passed it; a walk is complete for everything
committed before it started.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from inventory_ledger.adapters.postgres import queries
from inventory_ledger.adapters.postgres.connection import Connection
from inventory_ledger.domain.item import Bucket, ItemKey
from inventory_ledger.domain.transaction import Transaction

__all__ = ["RecordedTransaction", "TransactionPage", "ping", "transactions_page"]


@dataclass(frozen=True, slots=True)
class RecordedTransaction:
    """A ledger line as stored: its id (recording order) and the transaction."""

    id: int
    transaction: Transaction


@dataclass(frozen=True, slots=True)
class TransactionPage:
    """Up to ``limit`` lines in id order; ``last_id`` is set when more lines follow."""

    items: tuple[RecordedTransaction, ...]
    last_id: int | None


async def transactions_page(
    conn: Connection,
    *,
    after_id: int = 0,
    limit: int,
    lic: str | None = None,
    location: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> TransactionPage:
    """Lines with ``id > after_id`` matching the filters (``since`` ≤ business time < ``until``).

    One row more than ``limit`` is read to tell whether another page exists without a count.
    """
    rows = await conn.fetch(
        queries.TRANSACTIONS_PAGE, after_id, lic, location, since, until, limit + 1
    )
    items = tuple(
        RecordedTransaction(
            r["id"],
            Transaction(
                item=ItemKey(r["lic"], r["location"]),
                bucket=Bucket(r["bucket"]),
                qty=r["qty"],
                occurred_at=r["occurred_at"],
                event_id=r["event_id"],
                document=r["document"],
                document_line=r["document_line"],
                mfr_lot=r["mfr_lot"],
            ),
        )
        for r in rows[:limit]
    )
    return TransactionPage(items, items[-1].id if len(rows) > limit else None)


async def ping(conn: Connection) -> bool:
    """Whether the server answers a trivial statement on this connection."""
    return bool(await conn.fetchval(queries.READINESS_PING))
