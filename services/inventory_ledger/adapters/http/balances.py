"""``GET /v1/balances``: current balances (the cache), or as of a business time (the ledger)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import asyncpg
from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from inventory_contracts import Lic, Location, SignedQty
from inventory_ledger.adapters.http.timestamps import Rfc3339
from inventory_ledger.adapters.postgres.connection import Connection
from inventory_ledger.adapters.postgres.ledger_reads import balances

__all__ = ["BalanceView", "balance_views", "balances_routes"]


class BalanceView(BaseModel):
    """The balances of one item (``lic`` at ``location``); quantities are decimal strings."""

    model_config = ConfigDict(frozen=True)

    lic: str = Field(description="Line item code.")
    location: str = Field(description="Location of the item.")
    on_hand: SignedQty = Field(description="Goods in stock.")
    on_order: SignedQty = Field(description="Goods coming in (open PO lines, planned outputs).")
    demand: SignedQty = Field(description="Goods promised out (never positive).")
    available: SignedQty = Field(description="on_hand + demand.")
    projected: SignedQty = Field(description="on_hand + on_order + demand.")
    version: int | None = Field(
        description="Version of the item's balances (as in balance_changed); null with as_of, "
        "whose figures are summed from the ledger rather than read from the current state."
    )


async def balance_views(
    conn: Connection,
    *,
    lic: str | None = None,
    location: str | None = None,
    as_of: datetime | None = None,
) -> list[BalanceView]:
    """The balances of every matching item, ordered by location and lic."""
    return [
        BalanceView(
            lic=b.item.lic,
            location=b.item.location,
            on_hand=b.balance.on_hand,
            on_order=b.balance.on_order,
            demand=b.balance.demand,
            available=b.balance.available,
            projected=b.balance.projected,
            version=b.version,
        )
        for b in await balances(conn, lic=lic, location=location, as_of=as_of)
    ]


def balances_routes(pool: asyncpg.Pool) -> APIRouter:
    router = APIRouter(tags=["ledger"])

    @router.get("/v1/balances", summary="Balances per item")
    async def get_balances(
        lic: Annotated[Lic | None, Query(description="Only this line item code.")] = None,
        location: Annotated[Location | None, Query(description="Only this location.")] = None,
        as_of: Annotated[
            Rfc3339 | None,
            Query(
                description="RFC 3339 business time (with offset; `+` as `%2B`): the sums of "
                "the ledger's transactions that occurred up to and including it. Items with "
                "no transaction by then are absent."
            ),
        ] = None,
    ) -> list[BalanceView]:
        """Current balances of every item (or the filtered ones), or the balances as of a time.

        Without `as_of` the figures are the live state with its `version`; with it they are
        recomputed from the immutable ledger and `version` is null.
        """
        async with pool.acquire() as conn:
            return await balance_views(conn, lic=lic, location=location, as_of=as_of)

    return router
