"""``GET /v1/reconciliation``: every item whose cached balances differ from Σ its transactions.

Only the quantity side exists so far: ``lots`` and ``usage`` (Σ lot and usage quantities of an
item, checked against on_hand) come with the cost side and are null until then.
"""

from __future__ import annotations

import asyncpg
from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from inventory_contracts import SignedQty
from inventory_ledger.adapters.postgres.connection import Connection
from inventory_ledger.adapters.postgres.ledger_reads import reconcile_balances

__all__ = ["MismatchView", "ReconciliationView", "reconciliation_routes", "reconciliation_view"]

_NOT_YET = "Null until lots/usage are kept (the cost side)."


class MismatchView(BaseModel):
    """An item whose balances disagree with its ledger lines (in any bucket)."""

    model_config = ConfigDict(frozen=True)

    lic: str = Field(description="Line item code.")
    location: str = Field(description="Location of the item.")
    lots: SignedQty | None = Field(default=None, description=f"Σ open lot qty. {_NOT_YET}")
    usage: SignedQty | None = Field(default=None, description=f"Σ usage qty. {_NOT_YET}")
    on_hand_txns: SignedQty = Field(description="Σ on_hand transactions.")
    on_hand_balance: SignedQty = Field(description="on_hand in the balances.")
    on_order_txns: SignedQty = Field(description="Σ on_order transactions.")
    on_order_balance: SignedQty = Field(description="on_order in the balances.")
    demand_txns: SignedQty = Field(description="Σ demand transactions.")
    demand_balance: SignedQty = Field(description="demand in the balances.")


class ReconciliationView(BaseModel):
    """The outcome of one reconciliation run (one consistent snapshot)."""

    model_config = ConfigDict(frozen=True)

    ok: bool = Field(description="No mismatch.")
    items_checked: int = Field(description="Items with balances or transactions.")
    mismatches: list[MismatchView] = Field(description="Items that disagree, by location, lic.")


async def reconciliation_view(conn: Connection) -> ReconciliationView:
    """Reconcile the balances with the ledger in one repeatable-read snapshot."""
    report = await reconcile_balances(conn)
    return ReconciliationView(
        ok=report.ok,
        items_checked=report.items_checked,
        mismatches=[
            MismatchView(
                lic=m.item.lic,
                location=m.item.location,
                on_hand_txns=m.transactions.on_hand,
                on_hand_balance=m.balance.on_hand,
                on_order_txns=m.transactions.on_order,
                on_order_balance=m.balance.on_order,
                demand_txns=m.transactions.demand,
                demand_balance=m.balance.demand,
            )
            for m in report.mismatches
        ],
    )


def reconciliation_routes(pool: asyncpg.Pool) -> APIRouter:
    router = APIRouter(tags=["ledger"])

    @router.get("/v1/reconciliation", summary="Balances against the ledger")
    async def get_reconciliation() -> ReconciliationView:
        """Checks every item's on_hand, on_order and demand against Σ its transactions.

        `lots` and `usage` of a mismatch are null for now: the lot and usage checks come with
        the cost side (issue: lots, usage and COGS), as do `/v1/lots` and `/v1/usage`.
        """
        async with pool.acquire() as conn:
            return await reconciliation_view(conn)

    return router
