"""``GET /v1/lots``: the sources of goods with their remaining quantity and unit cost, paged."""

# No `from __future__ import annotations`: FastAPI reads the route signatures at runtime, and
# they name values local to the route factory (limits).

from typing import Annotated, Literal

import asyncpg
from fastapi import APIRouter, Query
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema

from inventory_contracts import Lic, Location, SignedQty
from inventory_ledger.adapters.http.cost_common import (
    Amount,
    decode_key_cursor,
    encode_key_cursor,
)
from inventory_ledger.adapters.postgres.connection import Connection
from inventory_ledger.adapters.postgres.cost_reads import LotRow, LotStatus, lots

__all__ = ["LotCursor", "LotPageView", "LotView", "lot_page_view", "lots_routes"]

_KIND = "lot"


def _valid_cursor(value: str) -> str:
    decode_key_cursor(_KIND, value)
    return value


LotCursor = Annotated[
    str,
    AfterValidator(_valid_cursor),
    WithJsonSchema({"type": "string", "description": "An opaque page cursor."}),
]


class LotView(BaseModel):
    """One lot: where goods came from, how much is left of them and at what unit cost."""

    model_config = ConfigDict(frozen=True)

    lot_id: str = Field(description="Deterministic id: document/line:location/lic[#mfr_lot].")
    kind: str = Field(
        description="purchase, production, return, adjustment, beginning_balance, assembly "
        "or division."
    )
    document: str = Field(description="The document that made the lot.")
    document_line: str = Field(description="Its line.")
    lic: str = Field(description="Line item code.")
    location: str = Field(description="Location of the item.")
    qty: SignedQty = Field(description="Quantity received on the lot.")
    allocated_qty: SignedQty = Field(description="Quantity allocated to usage.")
    remaining_qty: SignedQty = Field(description="qty - allocated_qty (open when > 0).")
    unit_cost: Amount = Field(description="Current unit cost (estimate or final).")
    cost_status: Literal["estimated", "final"] = Field(
        description="estimated until the cost's source document is final (bill, job close)."
    )
    mfr_lot: str | None = Field(description="Manufacturer lot, if the item is lot-tracked.")


class LotPageView(BaseModel):
    """A page of lots in (location, lic, lot_id) order."""

    model_config = ConfigDict(frozen=True)

    items: list[LotView] = Field(description="Up to `limit` lots.")
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page."
    )


def lot_view(row: LotRow) -> LotView:
    return LotView(
        lot_id=row.lot_id,
        kind=row.kind,
        document=row.document,
        document_line=row.document_line,
        lic=row.item.lic,
        location=row.item.location,
        qty=row.qty,
        allocated_qty=row.allocated_qty,
        remaining_qty=row.remaining_qty,
        unit_cost=row.unit_cost,
        cost_status=row.cost_status,
        mfr_lot=row.mfr_lot,
    )


async def lot_page_view(
    conn: Connection,
    *,
    limit: int,
    cursor: str | None = None,
    lic: str | None = None,
    location: str | None = None,
    status: LotStatus | None = None,
) -> LotPageView:
    """The page of matching lots after ``cursor`` (``ValueError`` for a foreign cursor)."""
    after = None if cursor is None else decode_key_cursor(_KIND, cursor)
    page = await lots(conn, limit=limit, lic=lic, location=location, status=status, after=after)
    return LotPageView(
        items=[lot_view(r) for r in page.items],
        next_cursor=None if page.last is None else encode_key_cursor(_KIND, page.last),
    )


def lots_routes(pool: asyncpg.Pool, *, default_limit: int, max_limit: int) -> APIRouter:
    router = APIRouter(tags=["costs"])

    @router.get("/v1/lots", summary="Lots, paged")
    async def get_lots(
        *,
        lic: Annotated[Lic | None, Query(description="Only this line item code.")] = None,
        location: Annotated[Location | None, Query(description="Only this location.")] = None,
        status: Annotated[
            Literal["open", "closed"] | None,
            Query(description="open: remaining_qty > 0; closed: nothing remains."),
        ] = None,
        limit: Annotated[
            int, Query(ge=1, le=max_limit, description=f"Lots per page, 1..{max_limit}.")
        ] = default_limit,
        cursor: Annotated[
            LotCursor | None, Query(description="`next_cursor` of the previous page.")
        ] = None,
    ) -> LotPageView:
        """The lots of every item (or the filtered ones), grouped by item, a page at a time.

        Walk the pages by passing each response's `next_cursor` back as `cursor` with the same
        filters until it is null.
        """
        async with pool.acquire() as conn:
            return await lot_page_view(
                conn, limit=limit, cursor=cursor, lic=lic, location=location, status=status
            )

    return router
