"""``GET /v1/usage``: the uses of goods with their allocated quantity and COGS, paged."""

# No `from __future__ import annotations`: FastAPI reads the route signatures at runtime, and
# they name values local to the route factory (limits).

from typing import Annotated

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
from inventory_ledger.adapters.postgres.cost_reads import UsageRow, usage

__all__ = ["UsageCursor", "UsagePageView", "UsageView", "usage_page_view", "usage_routes"]

_KIND = "usage"


def _valid_cursor(value: str) -> str:
    decode_key_cursor(_KIND, value)
    return value


UsageCursor = Annotated[
    str,
    AfterValidator(_valid_cursor),
    WithJsonSchema({"type": "string", "description": "An opaque page cursor."}),
]


class UsageView(BaseModel):
    """One usage: where goods went, how much of it found a lot, and its cost of goods sold."""

    model_config = ConfigDict(frozen=True)

    usage_id: str = Field(description="Deterministic id: document/line.")
    kind: str = Field(description="shipment, job, adjustment, assembly or division.")
    document: str = Field(description="The document that used the goods.")
    document_line: str = Field(description="Its line.")
    lic: str = Field(description="Line item code.")
    location: str = Field(description="Location of the item.")
    qty: SignedQty = Field(description="Quantity used (before customer give-backs).")
    allocated_qty: SignedQty = Field(description="Quantity allocated to lots.")
    unallocated_qty: SignedQty = Field(
        description="qty - returned - allocated_qty: still waiting for a lot (negative stock)."
    )
    cogs: Amount = Field(description="Σ allocated qty x the lot's current unit cost.")


class UsagePageView(BaseModel):
    """A page of usages in (location, lic, usage_id) order."""

    model_config = ConfigDict(frozen=True)

    items: list[UsageView] = Field(description="Up to `limit` usages.")
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page."
    )


def usage_view(row: UsageRow) -> UsageView:
    return UsageView(
        usage_id=row.usage_id,
        kind=row.kind,
        document=row.document,
        document_line=row.document_line,
        lic=row.item.lic,
        location=row.item.location,
        qty=row.qty,
        allocated_qty=row.allocated_qty,
        unallocated_qty=row.unallocated_qty,
        cogs=row.cogs,
    )


async def usage_page_view(
    conn: Connection,
    *,
    limit: int,
    cursor: str | None = None,
    lic: str | None = None,
    location: str | None = None,
    unallocated: bool = False,
) -> UsagePageView:
    """The page of matching usages after ``cursor`` (``ValueError`` for a foreign cursor)."""
    after = None if cursor is None else decode_key_cursor(_KIND, cursor)
    page = await usage(
        conn, limit=limit, lic=lic, location=location, unallocated=unallocated, after=after
    )
    return UsagePageView(
        items=[usage_view(r) for r in page.items],
        next_cursor=None if page.last is None else encode_key_cursor(_KIND, page.last),
    )


def usage_routes(pool: asyncpg.Pool, *, default_limit: int, max_limit: int) -> APIRouter:
    router = APIRouter(tags=["costs"])

    @router.get("/v1/usage", summary="Usage, paged")
    async def get_usage(
        *,
        lic: Annotated[Lic | None, Query(description="Only this line item code.")] = None,
        location: Annotated[Location | None, Query(description="Only this location.")] = None,
        unallocated: Annotated[
            bool, Query(description="true: only usage with unallocated_qty > 0.")
        ] = False,
        limit: Annotated[
            int, Query(ge=1, le=max_limit, description=f"Usages per page, 1..{max_limit}.")
        ] = default_limit,
        cursor: Annotated[
            UsageCursor | None, Query(description="`next_cursor` of the previous page.")
        ] = None,
    ) -> UsagePageView:
        """The usage of every item (or the filtered ones), grouped by item, a page at a time.

        Walk the pages by passing each response's `next_cursor` back as `cursor` with the same
        filters until it is null.
        """
        async with pool.acquire() as conn:
            return await usage_page_view(
                conn,
                limit=limit,
                cursor=cursor,
                lic=lic,
                location=location,
                unallocated=unallocated,
            )

    return router
