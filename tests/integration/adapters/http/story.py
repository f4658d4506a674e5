"""A small, known ledger written through the real unit of work, and what it must read back as.

Items (location ``main`` unless said): A-1 is ordered (PO P1, 10), promised out (order O1, 3) and
partly received (4); B-1 at ``east`` is received without a PO (2.5); C-1 gets ``C_RECEIPTS``
receipts of 1, one per minute, so the ledger has enough lines to page through.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Final

import asyncpg

from inventory_ledger.adapters.postgres.store import PostgresLedgerStore
from inventory_ledger.application.apply_batch import Inbound, apply_batch
from inventory_ledger.domain.events import (
    Event,
    OrderLine,
    OrderOpened,
    PurchaseOrderLine,
    PurchaseOrderOpened,
    ReceivedLine,
    ShipmentReceived,
)
from inventory_ledger.domain.item import ItemKey

__all__ = ["C_RECEIPTS", "LINES", "T0", "at", "write_story"]

T0: Final = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
C_RECEIPTS: Final = 23
LINES: Final = 3 + 1 + 1 + C_RECEIPTS
"""Ledger lines of the story: A-1 PO, order, receipt (on_hand and on_order), B-1, C-1 x 23."""


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def _receipt(
    rid: str, item: ItemKey, qty: str, minutes: int, po: str | None = None
) -> ShipmentReceived:
    return ShipmentReceived(
        event_id=f"rcv-{rid}",
        occurred_at=at(minutes),
        shipment_id=rid,
        po_id=po,
        lines=(
            ReceivedLine(
                line_id="1",
                po_line_id="1" if po else None,
                item=item,
                qty=Decimal(qty),
                unit_cost=None if po else Decimal(3),
            ),
        ),
    )


async def write_story(dsn: str) -> None:
    """Apply the story, one batch per event (so A-1 ends at version 3)."""
    a1, b1, c1 = ItemKey("A-1"), ItemKey("B-1", "east"), ItemKey("C-1")
    events: list[Event] = [
        PurchaseOrderOpened(
            event_id="po-P1",
            occurred_at=at(0),
            po_id="P1",
            lines=(
                PurchaseOrderLine(
                    line_id="1", item=a1, qty=Decimal(10), est_unit_cost=Decimal("2.5")
                ),
            ),
        ),
        _receipt("B", b1, "2.5", minutes=10),
        OrderOpened(
            event_id="ord-O1",
            occurred_at=at(30),
            order_id="O1",
            lines=(OrderLine(line_id="1", item=a1, qty=Decimal(3)),),
        ),
        _receipt("R1", a1, "4", minutes=60, po="P1"),
        *(_receipt(f"C{n}", c1, "1", minutes=100 + n) for n in range(C_RECEIPTS)),
    ]
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=2)
    try:
        store = PostgresLedgerStore(pool)
        for event in events:
            await apply_batch(store, [Inbound(event)])
    finally:
        await pool.close()
