"""The database is real: round trips, transactions that roll back, roles of the local stack."""

from __future__ import annotations

import asyncpg
import pytest

pytestmark = pytest.mark.integration


async def test_round_trip_and_rollback(database_url: str) -> None:
    conn = await asyncpg.connect(database_url, timeout=10)
    try:
        version = await conn.fetchval("SHOW server_version_num")
        assert int(version) >= 150000
        await conn.execute("CREATE TABLE smoke (id int PRIMARY KEY, note text NOT NULL)")
        await conn.execute("INSERT INTO smoke VALUES (1, 'kept')")
        with pytest.raises(asyncpg.UniqueViolationError):
            async with conn.transaction():
                await conn.execute("INSERT INTO smoke VALUES (2, 'rolled back')")
                await conn.execute("INSERT INTO smoke VALUES (1, 'duplicate')")
        rows = await conn.fetch("SELECT id, note FROM smoke ORDER BY id")
    finally:
        await conn.close()
    assert [tuple(r) for r in rows] == [(1, "kept")]
