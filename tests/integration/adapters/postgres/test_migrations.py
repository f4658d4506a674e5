"""Migrations apply once, are safe to re-run, and give the app role least privilege."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest

from inventory_ledger.adapters.contract_events import envelope_to_domain
from inventory_ledger.adapters.postgres.migrations import available, migrate
from inventory_ledger.application.event_codec import encode_event
from inventory_ledger.domain.cost_translation import NOTHING_TO_COST, facts_of
from inventory_ledger.domain.item import ItemKey
from inventory_ledger.simulation import SimulationConfig, generate, valid_events
from tests.conftest import LedgerDatabase
from tests.infra import drop_database, unique_name, with_database

pytestmark = pytest.mark.integration

_INSERT_TXN = """
INSERT INTO transactions (lic, location, bucket, qty, occurred_at, event_id, document)
VALUES ('W-1', 'main', 'on_hand', 3, now(), 'e-1', 'shipment:S-1') RETURNING id"""


async def test_rerun_applies_nothing_and_records_every_file(
    ledger_db: LedgerDatabase, app_role: str
) -> None:
    assert await migrate(ledger_db.owner_dsn, app_role=app_role) == []
    conn = await asyncpg.connect(ledger_db.owner_dsn)
    try:
        recorded = await conn.fetch("SELECT version, name FROM schema_migrations ORDER BY 1")
    finally:
        await conn.close()
    assert [(r["version"], r["name"]) for r in recorded] == [
        (m.version, m.name) for m in available()
    ]


async def test_app_role_appends_transactions_but_never_changes_them(
    ledger_db: LedgerDatabase,
) -> None:
    conn = await asyncpg.connect(ledger_db.app_dsn)
    try:
        txn_id = await conn.fetchval(_INSERT_TXN)
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("UPDATE transactions SET qty = 4 WHERE id = $1", txn_id)
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("DELETE FROM transactions WHERE id = $1", txn_id)
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("CREATE TABLE sneaky (id int)")
        assert await conn.fetchval("SELECT qty FROM transactions WHERE id = $1", txn_id) == 3
    finally:
        await conn.close()


async def test_even_the_owner_cannot_rewrite_the_ledger(ledger_db: LedgerDatabase) -> None:
    conn = await asyncpg.connect(ledger_db.owner_dsn)
    try:
        txn_id = await conn.fetchval(_INSERT_TXN)
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="immutable"):
            await conn.execute("UPDATE transactions SET qty = 4 WHERE id = $1", txn_id)
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="immutable"):
            await conn.execute("TRUNCATE transactions")
    finally:
        await conn.close()


async def test_0009_indexes_the_log_written_before_it_by_every_item_an_event_touches(
    ledger_db: LedgerDatabase, app_role: str, tmp_path: Path
) -> None:
    """A database at 0008 with a cost log gets its log indexed by item when 0009 runs."""
    messages = valid_events(generate(SimulationConfig(events=400, items=6, seed=5)))
    events = [envelope_to_domain(m.value) for m in messages if not isinstance(m.value, bytes)]
    earlier = tmp_path / "migrations"
    earlier.mkdir()
    for migration in available():
        if migration.version < 9:
            (earlier / f"{migration.version:04d}_{migration.name}.sql").write_text(migration.sql)
    assert [m.version for m in available(earlier)] == list(range(1, 9))
    name = unique_name("t", "migration_0009")
    admin = await asyncpg.connect(ledger_db.owner_dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    dsn = with_database(ledger_db.owner_dsn, name)
    try:
        await migrate(dsn, app_role=app_role, folder=earlier)
        conn = await asyncpg.connect(dsn)
        try:
            await conn.executemany(
                "INSERT INTO cost_events (position, event_id, event) VALUES ($1, $2, $3)",
                [(n, e.event_id, encode_event(e)) for n, e in enumerate(events, 1)],
            )
            assert [m.version for m in await migrate(dsn, app_role=app_role)] == [9]
            rows = await conn.fetch("SELECT lic, location, position FROM cost_event_items")
        finally:
            await conn.close()
    finally:
        await drop_database(ledger_db.owner_dsn, name)
    indexed: dict[int, set[ItemKey]] = {}
    for row in rows:
        indexed.setdefault(row["position"], set()).add(ItemKey(row["lic"], row["location"]))
    touching = 0
    for position, event in enumerate(events, 1):
        touched = set(facts_of(event).items) if type(event) not in NOTHING_TO_COST else set()
        assert touched <= indexed.get(position, set()), event.event_id
        touching += bool(touched)
    assert touching > 200
