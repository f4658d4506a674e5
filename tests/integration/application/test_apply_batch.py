"""The unit of work on real Postgres: exact balances, idempotency, concurrency, the outbox."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import asyncpg
import pytest

from inventory_contracts.balance_changed import BalanceChanged
from inventory_ledger.adapters.postgres.store import PostgresLedgerStore
from inventory_ledger.application.apply_batch import Inbound, apply_batch
from inventory_ledger.application.dead_letter import MessageSource
from inventory_ledger.domain.events import (
    PurchaseOrderLine,
    PurchaseOrderOpened,
    ReceivedLine,
    ShipmentReceived,
)
from inventory_ledger.domain.item import ItemKey
from tests.conftest import LedgerDatabase

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


@pytest.fixture
async def store(ledger_db: LedgerDatabase) -> AsyncIterator[PostgresLedgerStore]:
    pool = await asyncpg.create_pool(ledger_db.app_dsn, min_size=1, max_size=4)
    try:
        yield PostgresLedgerStore(pool)
    finally:
        await pool.close()


def _po(po_id: str, lic: str, qty: str, n: int = 0) -> PurchaseOrderOpened:
    return PurchaseOrderOpened(
        event_id=f"po-{po_id}",
        occurred_at=T0 + timedelta(minutes=n),
        po_id=po_id,
        lines=(
            PurchaseOrderLine(
                line_id="1", item=ItemKey(lic), qty=Decimal(qty), est_unit_cost=Decimal("2.5")
            ),
        ),
    )


def _receipt(rid: str, po_id: str | None, lic: str, qty: str, n: int = 1) -> ShipmentReceived:
    return ShipmentReceived(
        event_id=f"rcv-{rid}",
        occurred_at=T0 + timedelta(minutes=n),
        shipment_id=rid,
        po_id=po_id,
        lines=(
            ReceivedLine(
                line_id="1",
                po_line_id="1" if po_id else None,
                item=ItemKey(lic),
                qty=Decimal(qty),
                unit_cost=None if po_id else Decimal("3"),
            ),
        ),
    )


async def _balance(dsn: str, lic: str) -> tuple[Decimal, Decimal, Decimal, int]:
    conn = await asyncpg.connect(dsn)
    try:
        row = await conn.fetchrow(
            "SELECT on_hand, on_order, demand, version FROM balances WHERE lic = $1", lic
        )
    finally:
        await conn.close()
    assert row is not None
    return row["on_hand"], row["on_order"], row["demand"], row["version"]


async def test_po_then_partial_receipt_posts_on_order_and_on_hand(
    store: PostgresLedgerStore, ledger_db: LedgerDatabase
) -> None:
    result = await apply_batch(store, [Inbound(_po("P1", "A-1", "10"))])
    assert result.applied == ("po-P1",)
    assert result.transactions == 1
    result = await apply_batch(store, [Inbound(_receipt("R1", "P1", "A-1", "4"))])
    assert [c.version for c in result.changes] == [2]
    assert await _balance(ledger_db.owner_dsn, "A-1") == (Decimal(4), Decimal(6), 0, 2)


async def test_replaying_a_batch_changes_nothing(
    store: PostgresLedgerStore, ledger_db: LedgerDatabase
) -> None:
    batch = [Inbound(_po("P2", "B-1", "5")), Inbound(_receipt("R2", "P2", "B-1", "7"))]
    first = await apply_batch(store, batch)
    again = await apply_batch(store, batch)
    assert len(first.applied) == 2
    assert again.applied == ()
    assert again.duplicates == ("po-P2", "rcv-R2")
    assert again.changes == ()
    # over-receipt: on_hand 7, on_order never below 0
    assert await _balance(ledger_db.owner_dsn, "B-1") == (Decimal(7), Decimal(0), 0, 1)


async def test_duplicate_inside_one_batch_is_applied_once(
    store: PostgresLedgerStore, ledger_db: LedgerDatabase
) -> None:
    receipt = Inbound(_receipt("R3", None, "C-1", "2"))
    result = await apply_batch(store, [receipt, receipt])
    assert result.applied == ("rcv-R3",)
    assert result.duplicates == ("rcv-R3",)
    assert (await _balance(ledger_db.owner_dsn, "C-1"))[0] == Decimal(2)


async def test_reused_event_id_with_other_content_is_dead_lettered(
    store: PostgresLedgerStore, ledger_db: LedgerDatabase
) -> None:
    await apply_batch(store, [Inbound(_receipt("R4", None, "D-1", "2"))])
    forged = Inbound(
        _receipt("R4", None, "D-1", "9"),
        source=MessageSource("shipping.v1", 0, 42),
        key=b"R4",
        value=b'{"forged": true}',
    )
    result = await apply_batch(store, [forged])
    assert [r.reason for r in result.rejected] == ["conflicting_duplicate"]
    assert (await _balance(ledger_db.owner_dsn, "D-1"))[0] == Decimal(2)
    conn = await asyncpg.connect(ledger_db.owner_dsn)
    try:
        letter = await conn.fetchrow(
            "SELECT reason, value, source_offset FROM dead_letters WHERE event_id = 'rcv-R4'"
        )
    finally:
        await conn.close()
    assert letter is not None
    assert (letter["reason"], bytes(letter["value"]), letter["source_offset"]) == (
        "conflicting_duplicate",
        b'{"forged": true}',
        42,
    )


async def test_concurrent_batches_on_the_same_items_lose_no_update(
    store: PostgresLedgerStore, ledger_db: LedgerDatabase
) -> None:
    items = ["E-1", "E-2", "E-3"]
    batches = [
        [Inbound(_receipt(f"c{w}-{i}-{lic}", None, lic, "1")) for lic in reversed(items)]
        if w % 2
        else [Inbound(_receipt(f"c{w}-{i}-{lic}", None, lic, "1")) for lic in items]
        for w in range(2)
        for i in range(20)
    ]
    results = await asyncio.gather(*(apply_batch(store, b) for b in batches))
    assert sum(len(r.applied) for r in results) == 120
    for lic in items:
        on_hand, _, _, version = await _balance(ledger_db.owner_dsn, lic)
        assert on_hand == Decimal(40)
        assert version == 40, "one version per committed change, no gaps"


async def test_outbox_rows_are_valid_balance_changed_events_in_version_order(
    store: PostgresLedgerStore, ledger_db: LedgerDatabase
) -> None:
    await apply_batch(store, [Inbound(_po("P9", "F-1", "3"))])
    await apply_batch(store, [Inbound(_receipt("R9", "P9", "F-1", "1"))])
    conn = await asyncpg.connect(ledger_db.owner_dsn)
    try:
        rows = await conn.fetch(
            "SELECT version, payload::text FROM outbox WHERE lic = 'F-1' ORDER BY id"
        )
    finally:
        await conn.close()
    events = [BalanceChanged.model_validate_json(r["payload"]) for r in rows]
    assert [e.data.version for e in events] == [1, 2]
    last = events[-1].data
    assert (last.on_hand, last.on_order, last.projected) == (1, 2, 3)
    assert last.delta.on_hand == 1
    assert last.delta.on_order == -1
    assert last.caused_by == ("rcv-R9",)
    assert events[0].event_id != events[1].event_id
