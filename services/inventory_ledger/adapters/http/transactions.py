"""``GET /v1/transactions``: the ledger's lines, a page at a time, with an opaque keyset cursor."""

# No `from __future__ import annotations`: FastAPI reads the route signatures at runtime, and
# they name values local to the route factory (limits, the security scheme).

import base64
import binascii
import re
from datetime import datetime
from typing import Annotated, Any, Final

import asyncpg
from fastapi import APIRouter, Query
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from inventory_contracts import Lic, Location, SignedQty
from inventory_ledger.adapters.http.timestamps import Rfc3339
from inventory_ledger.adapters.postgres.connection import Connection
from inventory_ledger.adapters.postgres.transaction_reads import transactions_page

__all__ = [
    "Cursor",
    "TransactionPageView",
    "TransactionView",
    "decode_cursor",
    "encode_cursor",
    "transaction_page_view",
    "transactions_routes",
]

_PREFIX: Final = "txn:"
_MAX_ID: Final = 2**63 - 1
"""Ids are Postgres ``bigint``."""
_DIGITS: Final = re.compile(r"[0-9]{1,19}")


def encode_cursor(last_id: int) -> str:
    """The cursor of the page after the line with id ``last_id`` (URL-safe, no padding)."""
    return base64.urlsafe_b64encode(f"{_PREFIX}{last_id}".encode()).decode().rstrip("=")


def decode_cursor(value: Any) -> int:
    """The id a cursor made by :func:`encode_cursor` points after; ``ValueError`` otherwise."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value)
    try:
        decoded = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError):
        decoded = ""
    digits = decoded.removeprefix(_PREFIX)
    if decoded.startswith(_PREFIX) and _DIGITS.fullmatch(digits) and int(digits) <= _MAX_ID:
        return int(digits)
    raise ValueError("not a cursor this API issued (pass next_cursor back unchanged)")


Cursor = Annotated[
    int,
    BeforeValidator(decode_cursor),
    WithJsonSchema({"type": "string", "description": "An opaque page cursor."}),
]
"""A page cursor: opaque text outside, the last id of the previous page inside."""


class TransactionView(BaseModel):
    """One immutable ledger line."""

    model_config = ConfigDict(frozen=True)

    id: int = Field(description="Ledger line id; increases in recording order.")
    lic: str = Field(description="Line item code.")
    location: str = Field(description="Location of the item.")
    bucket: str = Field(description="The balance moved: on_hand, on_order or demand.")
    qty: SignedQty = Field(description="Signed change of the bucket (never 0).")
    occurred_at: datetime = Field(description="Business time of the causing event.")
    event_id: str = Field(description="The inbound event that caused the line.")
    document: str = Field(description="Document the line belongs to (PO, order, job, ...).")
    document_line: str | None = Field(description="Line of that document, if any.")
    mfr_lot: str | None = Field(description="Manufacturer lot of lot-tracked on_hand lines.")


class TransactionPageView(BaseModel):
    """A page of ledger lines in id order."""

    model_config = ConfigDict(frozen=True)

    items: list[TransactionView] = Field(description="Up to `limit` lines, by ascending id.")
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page."
    )


async def transaction_page_view(
    conn: Connection,
    *,
    limit: int,
    cursor: int = 0,
    lic: str | None = None,
    location: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> TransactionPageView:
    """The page of matching lines after the line with id ``cursor``."""
    page = await transactions_page(
        conn,
        after_id=cursor,
        limit=limit,
        lic=lic,
        location=location,
        since=since,
        until=until,
    )
    items = [
        TransactionView(
            id=r.id,
            lic=r.transaction.item.lic,
            location=r.transaction.item.location,
            bucket=r.transaction.bucket.value,
            qty=r.transaction.qty,
            occurred_at=r.transaction.occurred_at,
            event_id=r.transaction.event_id,
            document=r.transaction.document,
            document_line=r.transaction.document_line,
            mfr_lot=r.transaction.mfr_lot,
        )
        for r in page.items
    ]
    next_cursor = None if page.last_id is None else encode_cursor(page.last_id)
    return TransactionPageView(items=items, next_cursor=next_cursor)


def transactions_routes(pool: asyncpg.Pool, *, default_limit: int, max_limit: int) -> APIRouter:
    router = APIRouter(tags=["ledger"])
    time_hint = "RFC 3339 business time with offset (`+` as `%2B`)"

    @router.get("/v1/transactions", summary="Ledger lines, paged")
    async def get_transactions(
        *,
        lic: Annotated[Lic | None, Query(description="Only this line item code.")] = None,
        location: Annotated[Location | None, Query(description="Only this location.")] = None,
        since: Annotated[
            Rfc3339 | None, Query(description=f"{time_hint}: lines that occurred at or after.")
        ] = None,
        until: Annotated[
            Rfc3339 | None, Query(description=f"{time_hint}: lines that occurred before.")
        ] = None,
        limit: Annotated[
            int, Query(ge=1, le=max_limit, description=f"Lines per page, 1..{max_limit}.")
        ] = default_limit,
        cursor: Annotated[
            Cursor | None, Query(description="`next_cursor` of the previous page.")
        ] = None,
    ) -> TransactionPageView:
        """The ledger's lines in recording (id) order, filtered, one page at a time.

        Walk the pages by passing each response's `next_cursor` back as `cursor` with the same
        filters until it is null. Pages are keyset-based: a walk sees every line committed
        before it started exactly once; lines committed during the walk may or may not appear.
        """
        async with pool.acquire() as conn:
            return await transaction_page_view(
                conn,
                limit=limit,
                cursor=cursor or 0,
                lic=lic,
                location=location,
                since=since,
                until=until,
            )

    return router
