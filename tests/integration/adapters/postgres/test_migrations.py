"""Migrations apply once, are safe to re-run, and give the app role least privilege."""

from __future__ import annotations

import asyncpg
import pytest

from inventory_ledger.adapters.postgres.migrations import available, migrate
from tests.conftest import LedgerDatabase

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
