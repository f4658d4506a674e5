"""The unit of work's lookups by key probe indexes on large tables, not scan them.

A batch looks up a few hundred ids at a time (its events' claims, documents, the allocations of
the usages it rewrites, the dead letters of the events it cures). Planned as whole-table scans,
each batch grows slower with history: at 100k events clearing a batch's allocations took
65 µs/event (``bench/apply_throughput.py``). The service's sessions price random reads for a
cached database (``session_settings``) and the statements are written so that the planner can
probe the primary key, alone or combined into one statement with the batch's other writes
(``pipeline.combine``); this test keeps both true on tables of 40k rows.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import asyncpg
import pytest

from inventory_ledger.adapters.postgres import queries
from inventory_ledger.adapters.postgres.connection import session_settings
from inventory_ledger.adapters.postgres.pipeline import Write, combine
from tests.conftest import LedgerDatabase
from tests.infra import drop_database, migrated_database, with_database

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

ROWS = 40_000
IDS = 400  # a batch's worth

_FILL = [
    """INSERT INTO processed_events (event_id, event_type, payload_hash, occurred_at)
       SELECT 'event-' || n, 'shipment.shipped', '\\x00', now() FROM generate_series(1, $1) n""",
    """INSERT INTO document_states (document_kind, document_id, state)
       SELECT 'shipment', 'SHP-' || n, '{}' FROM generate_series(1, $1) n""",
    """INSERT INTO balances (location, lic)
       SELECT 'WH-' || (n % 20), 'SKU-' || n FROM generate_series(1, $1) n""",
    """INSERT INTO allocations (usage_id, lot_id, qty, unit_cost)
       SELECT 'shipment:SHP-' || n || '/1', 'lot-' || (n % 997), 1, 1
       FROM generate_series(1, $1) n""",
    """INSERT INTO dead_letters (source_topic, source_partition, source_offset, value, reason,
                                 message, event_id, replayed_at)
       SELECT 'shipping', 0, n, '\\x00', 'serial_not_in_stock', 'parked', 'event-' || n,
              CASE WHEN n % 10 = 0 THEN NULL ELSE now() END
       FROM generate_series(1, $1) n""",
]


@pytest.fixture(scope="module")
async def big(ledger_db: LedgerDatabase, app_role: str) -> AsyncIterator[asyncpg.Connection]:
    name = await migrated_database(ledger_db.owner_dsn, app_role, "query_plans")
    dsn = with_database(ledger_db.owner_dsn, name)
    conn = await asyncpg.connect(dsn, server_settings=session_settings())
    try:
        for fill in _FILL:
            await conn.execute(fill, ROWS)
        await conn.execute("ANALYZE")
        yield conn
    finally:
        await conn.close()
        await drop_database(ledger_db.owner_dsn, name)


async def _plans(conn: asyncpg.Connection, sql: str, *args: object) -> list[str]:
    """The plan of each of seven runs of a prepared ``sql`` (past the switch to a generic one)."""
    plans = []
    statement = await conn.prepare(f"EXPLAIN (COSTS OFF) {sql}")
    for _ in range(7):
        async with conn.transaction():
            plans.append("\n".join(r[0] for r in await statement.fetch(*args)))
    return plans


def _ids(prefix: str, suffix: str = "") -> list[str]:
    return [f"{prefix}{n}{suffix}" for n in range(1, ROWS, ROWS // IDS)]


_NEW_ROWS = json.dumps([[usage, "lot-1", "1", "1"] for usage in _ids("shipment:SHP-", "/1")])


def _prune() -> Write:
    return Write(queries.ALLOCATIONS_PRUNE, (_ids("shipment:SHP-", "/1"), _NEW_ROWS))


def _cured() -> Write:
    return Write(queries.DEAD_LETTERS_CURED, (_ids("event-"),))


@pytest.mark.parametrize(
    ("table", "sql", "args"),
    [
        ("allocations", queries.ALLOCATIONS_PRUNE, (_ids("shipment:SHP-", "/1"), _NEW_ROWS)),
        ("dead_letters", queries.DEAD_LETTERS_CURED, (_ids("event-"),)),
        ("allocations", *combine([_prune(), _cured()])),
        ("dead_letters", *combine([_prune(), _cured()])),
    ],
    ids=[
        "allocations",
        "dead-letters",
        "allocations-combined",
        "dead-letters-combined",
    ],
)
async def test_a_batch_of_ids_probes_the_index(
    big: asyncpg.Connection, table: str, sql: str, args: tuple[object, ...]
) -> None:
    for plan in await _plans(big, sql, *args):
        assert f"Seq Scan on {table}" not in plan, plan
        assert "Index" in plan, plan


@pytest.mark.parametrize(
    ("table", "sql", "args", "rows"),
    [
        ("processed_events", queries.BATCH_BEGIN, (_ids("event-"), True, []), 1),
        ("document_states", queries.DOCUMENTS_LOCK, (["shipment"] * IDS, _ids("SHP-")), IDS),
        (
            "balances",
            queries.BALANCES_LOCK,
            ([f"WH-{n % 20}" for n in range(1, ROWS, ROWS // IDS)], _ids("SKU-")),
            IDS,
        ),
    ],
    ids=["claims", "documents", "balances"],
)
async def test_the_functions_probe_the_index(
    big: asyncpg.Connection, table: str, sql: str, args: tuple[object, ...], rows: int
) -> None:
    """The statements inside the functions (migrations 0007, 0008) do not show in EXPLAIN:
    count the transaction's scans of the table instead, over seven calls (past a generic
    plan)."""
    statement = await big.prepare(sql)
    async with big.transaction():
        for _ in range(7):
            assert len(await statement.fetch(*args)) == rows
        seq, idx = await big.fetchrow(
            "SELECT seq_scan, idx_scan FROM pg_stat_xact_user_tables WHERE relname = $1", table
        )
    assert seq == 0
    assert idx > 0
