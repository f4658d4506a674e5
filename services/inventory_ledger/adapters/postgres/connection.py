"""The connection type the store's functions accept: a plain one or one lent by a pool."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy

__all__ = ["Connection", "keep_session", "pool_options", "session_settings"]

RANDOM_PAGE_COST = "1.1"
"""The planner's cost of a random page read for the service's sessions (the server default, 4,
models spinning disks). The ledger's statements look rows up by key in batches (``= ANY`` or a
join to ``unnest`` of a few hundred ids); priced at 4, the planner scanned whole tables instead
of probing their primary keys, so the unit of work grew slower with history: at 100k events,
clearing a batch's allocations took 65 µs/event by sequential scan (``bench/apply_throughput``)."""


def session_settings(statement_timeout_ms: int | None = None) -> dict[str, str]:
    """Server settings for the service's pooled sessions (``asyncpg.create_pool``)."""
    settings = {"random_page_cost": RANDOM_PAGE_COST}
    if statement_timeout_ms is not None:
        settings["statement_timeout"] = str(statement_timeout_ms)
    return settings


async def keep_session(conn: asyncpg.Connection[Any]) -> None:
    """Reset nothing when a connection goes back to the pool (asyncpg's ``reset``).

    asyncpg's default reset runs one more statement per release (advisory unlock, ``CLOSE
    ALL``, ``UNLISTEN *``, ``RESET ALL``): a round trip per batch. The service's pooled
    sessions never change session state (no session ``SET``, cursor, ``LISTEN`` or advisory
    lock; the relay's lock has its own connection), and asyncpg still rolls back a
    transaction left open before calling this.
    """


def pool_options(statement_timeout_ms: int | None = None) -> dict[str, Any]:
    """``asyncpg.create_pool`` options of the service's pool (and the benchmarks')."""
    return {"server_settings": session_settings(statement_timeout_ms), "reset": keep_session}


if TYPE_CHECKING:
    Connection: TypeAlias = asyncpg.Connection[Any] | PoolConnectionProxy[Any]
else:  # the classes are generic only in the type stubs
    Connection: TypeAlias = asyncpg.Connection | PoolConnectionProxy
