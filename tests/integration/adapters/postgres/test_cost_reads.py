"""The cost read side over the cost story: COGS with allocations, cost layers, reconciliation."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import asyncpg
import pytest

from inventory_ledger.adapters.postgres.cost_reads import (
    cogs_by_document,
    cogs_of_usages,
    cost_layers,
    lots,
    reconcile_costs,
    top_cogs,
    unallocated_summary,
    usage,
)
from inventory_ledger.adapters.postgres.store import PostgresLedgerStore
from inventory_ledger.application.apply_batch import Inbound, apply_batch
from inventory_ledger.domain.item import ItemKey
from tests.conftest import LedgerDatabase
from tests.infra import drop_database, migrated_database, with_database
from tests.integration.adapters.http.cost_story import (
    A_LOT,
    A_SALE,
    B_SALE,
    D_RECEIPTS,
    write_cost_story,
)
from tests.unit.domain.cost.support import received, shipped

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


@pytest.fixture(scope="module")
async def story(ledger_db: LedgerDatabase) -> LedgerDatabase:
    await write_cost_story(ledger_db.app_dsn)
    return ledger_db


@pytest.fixture
async def conn(story: LedgerDatabase) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(story.app_dsn)
    try:
        yield conn
    finally:
        await conn.close()


async def test_cogs_by_document_lists_each_usage_with_its_allocations(
    conn: asyncpg.Connection,
) -> None:
    (sale,) = await cogs_by_document(conn, "shipment:S-e3")
    assert (sale.usage.usage_id, sale.usage.returned_qty, sale.usage.cogs) == (
        A_SALE,
        Decimal(1),
        Decimal("19.5"),
    )
    assert [(a.lot_id, a.qty, a.unit_cost, a.amount, a.cost_status) for a in sale.allocations] == [
        (A_LOT, Decimal(3), Decimal("6.5"), Decimal("19.5"), "final")
    ]
    assert sum(a.amount for a in sale.allocations) == sale.usage.cogs
    assert await cogs_by_document(conn, "shipment:nothing") == []
    assert [u.usage.usage_id for u in await cogs_of_usages(conn, [B_SALE, "nope"])] == [B_SALE]


async def test_top_cogs_and_the_unallocated_summary(conn: asyncpg.Connection) -> None:
    top = await top_cogs(conn, 5)
    assert [(u.usage.usage_id, u.usage.cogs) for u in top] == [
        (A_SALE, Decimal("19.5")),
        (B_SALE, Decimal(6)),
    ]
    assert [a.lot_id for a in top[1].allocations] == ["shipment:R-b1/1:main/B"]
    summary = await unallocated_summary(conn)
    assert (summary.usages, summary.items, summary.qty) == (1, 1, Decimal(3))


async def test_cost_layers_are_the_open_lots_first_received_first(
    conn: asyncpg.Connection,
) -> None:
    layers = await cost_layers(conn, "A", "main")
    assert [(r.lot_id, r.remaining_qty, r.unit_cost) for r in layers] == [
        (A_LOT, Decimal(7), Decimal("6.5")),
        ("shipment:R-a6/1:main/A", Decimal(3), Decimal("7.25")),
    ]
    assert await cost_layers(conn, "B", "main") == [], "B's only lot is used up"
    d = await cost_layers(conn, "D", "main")
    assert [r.received_at for r in d] == sorted(r.received_at for r in d if r.received_at)
    assert len(d) == D_RECEIPTS


async def test_pages_continue_after_the_last_key(conn: asyncpg.Connection) -> None:
    first = await lots(conn, limit=3, lic="D")
    assert first.last == ("main", "D", first.items[-1].lot_id)
    rest = await lots(conn, limit=100, lic="D", after=first.last)
    assert rest.last is None
    assert [r.lot_id for r in first.items + rest.items] == [
        f"shipment:R-d{n}/1:main/D" for n in range(D_RECEIPTS)
    ]
    waiting = await usage(conn, limit=10, unallocated=True)
    assert [(u.usage_id, u.unallocated_qty) for u in waiting.items] == [(B_SALE, Decimal(3))]


async def test_the_cost_story_reconciles_and_a_missing_lot_is_reported(
    story: LedgerDatabase,
) -> None:
    owner = await asyncpg.connect(story.owner_dsn)
    try:
        clean = await reconcile_costs(owner)
        tampering = owner.transaction(isolation="repeatable_read")  # rolled back below
        await tampering.start()
        try:
            await owner.execute(
                "UPDATE allocations SET lot_id = 'gone' WHERE usage_id = $1", B_SALE
            )
            broken = await reconcile_costs(owner)  # nested in the caller's snapshot
        finally:
            await tampering.rollback()
        again = await reconcile_costs(owner)
    finally:
        await owner.close()
    assert clean.ok
    assert clean.kept
    assert (clean.items_checked, clean.lots_checked, clean.usages_checked) == (4, 4 + 7, 2)
    assert clean.figures[ItemKey("B")].lots - clean.figures[ItemKey("B")].usage == Decimal(-3)
    assert not broken.ok
    assert [(b.invariant, b.subject, b.rule, b.expected, b.actual) for b in broken.breaches] == [
        (3, "shipment:R-b1/1:main/B", "lot allocated_qty = Σ allocations", Decimal(0), Decimal(2)),
        (4, f"{B_SALE} <- gone", "allocation unit_cost = lot unit_cost", None, Decimal(3)),
    ]
    assert [c.item for c in broken.mismatched] == [ItemKey("B")]
    assert again == clean


async def test_a_quantity_only_ledger_is_not_checked_for_costs(
    ledger_db: LedgerDatabase, app_role: str
) -> None:
    name = await migrated_database(ledger_db.owner_dsn, app_role, "quantity_only")
    pool = await asyncpg.create_pool(with_database(ledger_db.app_dsn, name), min_size=1)
    try:
        store = PostgresLedgerStore(pool)
        for event in (received("q1", 0, "Q", 2, unit_cost=1), shipped("q2", 1, "Q", 1)):
            await apply_batch(store, [Inbound(event)])  # no cost books
        async with pool.acquire() as conn:
            report = await reconcile_costs(conn)
    finally:
        await pool.close()
        await drop_database(ledger_db.owner_dsn, name)
    assert not report.kept
    assert report.ok, "a ledger without cost books has nothing to break invariant 1"
    assert (report.items_checked, report.lots_checked, report.usages_checked) == (1, 0, 0)
