"""A small, known cost ledger written through the real unit of work with cost books kept.

Items (all at ``main``): **A** is aACE's own flow — PO-1 line L1 of 10 at an estimated 5.00,
received, 4 shipped, billed at 6.00 + 5.00 freight (unit cost (60 + 5) / 10 = 6.5, final),
then 1 of the 4 returned against the shipment — plus a later receipt of 3 at 7.25. **B** has
2 received at 3 and 5 shipped: 3 of the shipment wait for a lot. **M** is lot-tracked (one
receipt of manufacturer lot ``LOT-9``). **D** gets ``D_RECEIPTS`` receipts of 1 at 2, so the
lots have pages to walk.
"""

from __future__ import annotations

from typing import Final

import asyncpg

from inventory_ledger.adapters.postgres.store import PostgresLedgerStore
from inventory_ledger.application.apply_batch import Inbound, apply_batch
from inventory_ledger.application.cost_tracking import CostTracker
from inventory_ledger.domain.events import Event
from tests.unit.domain.cost.support import bill, po_opened, received, returned, shipped

__all__ = [
    "A_LOT",
    "A_SALE",
    "B_SALE",
    "D_RECEIPTS",
    "EVENTS",
    "write_cost_story",
]

D_RECEIPTS: Final = 7
A_LOT: Final = "purchase_order:PO-1/L1:main/A"
A_SALE: Final = "shipment:S-e3/1"
B_SALE: Final = "shipment:S-b2/1"

EVENTS: Final[tuple[Event, ...]] = (
    po_opened("e1", 0, "PO-1", ("L1", "A", 10, "5.00")),
    received("e2", 1, "A", 10, po=("PO-1", "L1")),
    shipped("e3", 2, "A", 4),
    bill("e4", 3, "PO-1", ("L1", 10, "6.00"), freight="5.00"),
    returned("e5", 4, "A", 1, original="e3"),
    received("a6", 5, "A", 3, unit_cost="7.25"),
    received("b1", 0.5, "B", 2, unit_cost=3),
    shipped("b2", 1.5, "B", 5),
    received("m1", 2, "M", 4, unit_cost="1.5", mfr_lot="LOT-9"),
    *(received(f"d{n}", 6 + n, "D", 1, unit_cost=2) for n in range(D_RECEIPTS)),
)


async def write_cost_story(dsn: str) -> None:
    """Apply the story one event per batch, keeping the cost books."""
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=2)
    try:
        store, costs = PostgresLedgerStore(pool), CostTracker()
        for event in EVENTS:
            result = await apply_batch(store, [Inbound(event)], costs=costs)
            assert result.applied == (event.event_id,), result
    finally:
        await pool.close()
