"""``GET /v1/reconciliation``: every item whose balances, ledger lines and cost books disagree.

One repeatable-read snapshot checks invariant 2 (cached balances = Σ transactions per bucket)
and, once the cost books are kept, invariants 1, 3 and 4 (domain.md): Σ lot qty - Σ usage qty
= Σ on_hand transactions = on_hand; allocated ≤ qty for lots and usage; COGS = Σ allocation
qty x the lot's unit cost = Σ the COGS journal. ``lots`` and ``usage`` are null while the
cost books were never written (a quantity-only ledger).
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg
from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from inventory_contracts import SignedQty
from inventory_ledger.adapters.http.cost_common import Amount
from inventory_ledger.adapters.postgres.connection import Connection
from inventory_ledger.adapters.postgres.cost_reads import CostReconciliation, reconcile_costs
from inventory_ledger.adapters.postgres.ledger_reads import Reconciliation, reconcile_balances
from inventory_ledger.domain.item import ItemKey

__all__ = [
    "CostBreachView",
    "FullReconciliation",
    "MismatchView",
    "ReconciliationView",
    "reconcile",
    "reconciliation_routes",
    "reconciliation_view",
    "reconciliation_view_of",
]

_NOT_KEPT = "Null while the cost books are not kept (no lot or usage was ever written)."


class CostBreachView(BaseModel):
    """A lot, usage or allocation row that breaks invariant 3 or 4."""

    model_config = ConfigDict(frozen=True)

    invariant: int = Field(description="3 (allocated quantities) or 4 (COGS), as in domain.md.")
    subject: str = Field(description="Lot id, usage id, or `usage_id <- lot_id` (an allocation).")
    rule: str = Field(description="The check that failed, e.g. `cogs = Σ COGS journal`.")
    expected: Amount | None = Field(description="What the rule wants (null: the lot is missing).")
    actual: Amount = Field(description="What the row says.")


class MismatchView(BaseModel):
    """An item whose balances, ledger lines or cost books disagree."""

    model_config = ConfigDict(frozen=True)

    lic: str = Field(description="Line item code.")
    location: str = Field(description="Location of the item.")
    lots: SignedQty | None = Field(default=None, description=f"Σ qty of its lots. {_NOT_KEPT}")
    usage: SignedQty | None = Field(
        default=None, description=f"Σ qty - returned of its usage. {_NOT_KEPT}"
    )
    on_hand_txns: SignedQty = Field(description="Σ on_hand transactions.")
    on_hand_balance: SignedQty = Field(description="on_hand in the balances.")
    on_order_txns: SignedQty = Field(description="Σ on_order transactions.")
    on_order_balance: SignedQty = Field(description="on_order in the balances.")
    demand_txns: SignedQty = Field(description="Σ demand transactions.")
    demand_balance: SignedQty = Field(description="demand in the balances.")
    cost_breaches: list[CostBreachView] = Field(
        default_factory=list,
        exclude_if=lambda breaches: not breaches,
        description="Its lot, usage and allocation rows breaking invariant 3 or 4 "
        "(absent when there are none).",
    )


class ReconciliationView(BaseModel):
    """The outcome of one reconciliation run (one consistent snapshot)."""

    model_config = ConfigDict(frozen=True)

    ok: bool = Field(description="No mismatch.")
    items_checked: int = Field(description="Items with balances, transactions, lots or usage.")
    mismatches: list[MismatchView] = Field(description="Items that disagree, by location, lic.")


@dataclass(frozen=True, slots=True)
class FullReconciliation:
    """The quantity reconciliation and the cost reconciliation of the same snapshot."""

    quantities: Reconciliation
    costs: CostReconciliation

    @property
    def ok(self) -> bool:
        return self.quantities.ok and self.costs.ok


async def reconcile(conn: Connection) -> FullReconciliation:
    """Invariants 1 to 4 in one repeatable-read, read-only snapshot."""
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        return FullReconciliation(await reconcile_balances(conn), await reconcile_costs(conn))


def reconciliation_view_of(report: FullReconciliation) -> ReconciliationView:
    """Both reports merged per item: one mismatch entry for each item that disagrees."""
    quantities = {m.item: m for m in report.quantities.mismatches}
    costs = report.costs
    breaches: dict[ItemKey, list[CostBreachView]] = {}
    for b in costs.breaches:
        breaches.setdefault(b.item, []).append(
            CostBreachView(
                invariant=b.invariant,
                subject=b.subject,
                rule=b.rule,
                expected=b.expected,
                actual=b.actual,
            )
        )
    items = sorted(
        {*quantities, *(c.item for c in costs.mismatched)},
        key=lambda item: (item.location, item.lic),
    )
    mismatches = []
    for item in items:
        figures = costs.figures.get(item)
        quantity = quantities.get(item)
        if quantity is not None:
            balance, txns = quantity.balance, quantity.transactions
        else:  # its buckets agree with the ledger in this snapshot (no quantity mismatch)
            assert figures is not None  # every mismatched cost item has figures
            balance = txns = figures.balance
        mismatches.append(
            MismatchView(
                lic=item.lic,
                location=item.location,
                lots=figures.lots if costs.kept and figures is not None else None,
                usage=figures.usage if costs.kept and figures is not None else None,
                on_hand_txns=txns.on_hand,
                on_hand_balance=balance.on_hand,
                on_order_txns=txns.on_order,
                on_order_balance=balance.on_order,
                demand_txns=txns.demand,
                demand_balance=balance.demand,
                cost_breaches=breaches.get(item, []),
            )
        )
    checked = max(report.quantities.items_checked, costs.items_checked)
    return ReconciliationView(ok=report.ok, items_checked=checked, mismatches=mismatches)


async def reconciliation_view(conn: Connection) -> ReconciliationView:
    """Reconcile balances, ledger and cost books in one repeatable-read snapshot."""
    return reconciliation_view_of(await reconcile(conn))


def reconciliation_routes(pool: asyncpg.Pool) -> APIRouter:
    router = APIRouter(tags=["ledger"])

    @router.get("/v1/reconciliation", summary="Balances and cost books against the ledger")
    async def get_reconciliation() -> ReconciliationView:
        """Checks every item: on_hand, on_order and demand against Σ its transactions, and,
        once the cost books are kept, Σ lot qty - Σ usage qty against on_hand, allocated
        quantities against lot and usage quantities, and each usage's COGS against its
        allocations and its COGS journal.

        `lots` and `usage` of a mismatch are null while the cost books are not kept (no lot or
        usage was ever written); `cost_breaches` lists the item's failing rows, if any.
        """
        async with pool.acquire() as conn:
            return await reconciliation_view(conn)

    return router
