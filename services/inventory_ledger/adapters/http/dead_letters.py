"""``GET /v1/dead-letters``: rejected messages with why, oldest first."""

# No `from __future__ import annotations`: FastAPI reads the route signatures at runtime, and
# they name values local to the route factory (limits, the security scheme).

import base64
from datetime import datetime
from typing import Annotated

import asyncpg
from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from inventory_ledger.adapters.postgres.connection import Connection
from inventory_ledger.adapters.postgres.dead_letters import list_dead_letters

__all__ = ["DeadLetterHeaderView", "DeadLetterView", "dead_letter_views", "dead_letters_routes"]

_REASON_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"


def _b64(value: bytes | None) -> str | None:
    return None if value is None else base64.b64encode(value).decode("ascii")


class DeadLetterHeaderView(BaseModel):
    model_config = ConfigDict(frozen=True)

    key: str = Field(description="Header name.")
    value: str | None = Field(description="Header value, base64; null if it had none.")


class DeadLetterView(BaseModel):
    """A message that could not be processed, byte for byte, with where it came from."""

    model_config = ConfigDict(frozen=True)

    id: int = Field(description="Dead letter id (for replay).")
    reason: str = Field(description="Machine-readable reason code.")
    message: str = Field(description="What is wrong, for people.")
    source_topic: str = Field(description="Topic the message was consumed from.")
    source_partition: int = Field(description="Its partition.")
    source_offset: int = Field(description="Its offset in that partition.")
    key: str | None = Field(description="Message key, base64; null if none.")
    value: str = Field(description="Message value, base64.")
    headers: list[DeadLetterHeaderView] = Field(description="Kafka headers, in order.")
    event_id: str | None = Field(description="`event_id`, if it could be read.")
    event_type: str | None = Field(description="`event_type`, if it could be read.")
    created_at: datetime = Field(description="When it was rejected.")
    published_at: datetime | None = Field(description="When it reached the dead-letter topic.")
    replayed_at: datetime | None = Field(description="When it was last replayed, if ever.")


async def dead_letter_views(
    conn: Connection, *, limit: int, reason: str | None = None
) -> list[DeadLetterView]:
    """The oldest ``limit`` dead letters (only those with ``reason`` if given)."""
    return [
        DeadLetterView(
            id=d.id,
            reason=d.letter.reason,
            message=d.letter.message,
            source_topic=d.letter.source.topic,
            source_partition=d.letter.source.partition,
            source_offset=d.letter.source.offset,
            key=_b64(d.letter.key),
            value=base64.b64encode(d.letter.value).decode("ascii"),
            headers=[DeadLetterHeaderView(key=k, value=_b64(v)) for k, v in d.letter.headers],
            event_id=d.letter.event_id,
            event_type=d.letter.event_type,
            created_at=d.created_at,
            published_at=d.published_at,
            replayed_at=d.replayed_at,
        )
        for d in await list_dead_letters(conn, limit=limit, reason=reason)
    ]


def dead_letters_routes(pool: asyncpg.Pool, *, default_limit: int, max_limit: int) -> APIRouter:
    router = APIRouter(tags=["dead letters"])

    @router.get("/v1/dead-letters", summary="Rejected messages")
    async def get_dead_letters(
        limit: Annotated[
            int, Query(ge=1, le=max_limit, description=f"How many, 1..{max_limit}.")
        ] = default_limit,
        reason: Annotated[
            str | None,
            Query(pattern=_REASON_PATTERN, description="Only this reason code (e.g. `schema`)."),
        ] = None,
    ) -> list[DeadLetterView]:
        """The oldest rejected messages, with reason, source position and original bytes."""
        async with pool.acquire() as conn:
            return await dead_letter_views(conn, limit=limit, reason=reason)

    return router
