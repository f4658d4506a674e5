"""As-of balances come from the ledger; reconciliation finds a cache that disagrees with it."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import asyncpg
import pytest

from inventory_ledger.adapters.postgres.ledger_reads import balances, reconcile_balances
from inventory_ledger.adapters.postgres.store import PostgresLedgerStore
from inventory_ledger.application.apply_batch import Inbound, apply_batch
from inventory_ledger.domain.balance import Balance
from inventory_ledger.domain.item import ItemKey
from tests.conftest import LedgerDatabase
from tests.integration.application.test_apply_batch import T0, _po, _receipt

pytestmark = pytest.mark.integration


async def test_as_of_sums_the_ledger_up_to_a_business_time(ledger_db: LedgerDatabase) -> None:
    pool = await asyncpg.create_pool(ledger_db.app_dsn, min_size=1, max_size=2)
    try:
        store = PostgresLedgerStore(pool)
        await apply_batch(store, [Inbound(_po("P1", "X-1", "10", n=0))])
        await apply_batch(store, [Inbound(_receipt("R1", "P1", "X-1", "4", n=60))])
        async with pool.acquire() as conn:
            now = await balances(conn, lic="X-1")
            before = await balances(conn, lic="X-1", as_of=T0 + timedelta(minutes=30))
            at_start = await balances(conn, as_of=T0 - timedelta(seconds=1))
            report = await reconcile_balances(conn)
    finally:
        await pool.close()
    assert [(b.item, b.balance, b.version) for b in now] == [
        (ItemKey("X-1"), Balance(Decimal(4), Decimal(6), Decimal(0)), 2)
    ]
    assert [(b.item, b.balance) for b in before] == [
        (ItemKey("X-1"), Balance(on_order=Decimal(10)))
    ]
    assert at_start == []
    assert report.ok
    assert report.items_checked == 1


async def test_reconcile_reports_a_tampered_balance(ledger_db: LedgerDatabase) -> None:
    conn = await asyncpg.connect(ledger_db.owner_dsn)
    try:
        await conn.execute("UPDATE balances SET on_hand = on_hand + 1 WHERE lic = 'X-1'")
        report = await reconcile_balances(conn)
    finally:
        await conn.close()
    assert not report.ok
    (mismatch,) = report.mismatches
    assert mismatch.item == ItemKey("X-1")
    assert mismatch.balance.on_hand - mismatch.transactions.on_hand == 1
