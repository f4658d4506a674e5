"""Shared pieces of the benchmarks: a real database per run, a simulated stream as domain events."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from inventory_ledger.adapters.contract_events import envelope_to_domain
from inventory_ledger.adapters.postgres.migrations import migrate
from inventory_ledger.domain.events import Event
from inventory_ledger.local_stack import LocalStack
from inventory_ledger.simulation import SimulationConfig, generate, valid_events

__all__ = ["domain_events", "fresh_database", "owner_dsn"]


def owner_dsn() -> str:
    """``DATABASE_URL`` if set, else the local stack's owner role (started if needed)."""
    if env := os.environ.get("DATABASE_URL"):
        return env
    stack = LocalStack.from_settings()
    stack.postgres.start()
    return stack.database_url("owner")


def domain_events(config: SimulationConfig) -> list[Event]:
    """The valid, de-duplicated events of a simulated stream, parsed and translated."""
    return [
        envelope_to_domain(m.value)
        for m in valid_events(generate(config))
        if not isinstance(m.value, bytes)
    ]


@asynccontextmanager
async def fresh_database(admin_dsn: str, app_role: str) -> AsyncIterator[str]:
    """A migrated throw-away database; yields the owner's DSN to it, drops it afterwards."""
    name = f"bench_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
        exists = await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", app_role)
        if not exists:
            await conn.execute(f"CREATE ROLE {app_role} LOGIN PASSWORD '{app_role}'")
        # membership lets DROP DATABASE ... WITH (FORCE) end the role's leftover sessions
        await conn.execute(f"GRANT {app_role} TO CURRENT_USER")
    finally:
        await conn.close()
    dsn = urlunsplit(urlsplit(admin_dsn)._replace(path=f"/{name}"))
    try:
        await migrate(dsn, app_role=app_role)
        yield dsn
    finally:
        await _drop(admin_dsn, name)


async def _drop(admin_dsn: str, name: str) -> None:
    """Drop the bench database; a plain DROP when FORCE may not end an autovacuum worker."""
    conn = await asyncpg.connect(admin_dsn)
    try:
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        except asyncpg.InsufficientPrivilegeError:
            await asyncio.sleep(1)
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
    finally:
        await conn.close()
