"""Store round trips on real Postgres: what one unit of work saves, the next one reads."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import asyncpg
import pytest

from inventory_contracts.balance_changed import BalanceChanged
from inventory_ledger.adapters.postgres.store import COPY_FROM, PostgresLedgerStore
from inventory_ledger.application.balance_change import BalanceChange, VersionedBalance
from inventory_ledger.application.cost_tracking import serial_keys
from inventory_ledger.application.ports import Claim, RetryableConflictError
from inventory_ledger.domain.balance import Balance
from inventory_ledger.domain.books import replay
from inventory_ledger.domain.document_line import DocumentKey, DocumentKind
from inventory_ledger.domain.item import Bucket, ItemKey
from inventory_ledger.domain.transaction import Transaction
from tests.conftest import LedgerDatabase
from tests.unit.domain.builders import (
    job_opened,
    order_closed,
    order_opened,
    po_opened,
    received,
)
from tests.unit.domain.cost.support import shipped

pytestmark = pytest.mark.integration


@pytest.fixture
async def store(ledger_db: LedgerDatabase) -> AsyncIterator[PostgresLedgerStore]:
    pool = await asyncpg.create_pool(ledger_db.app_dsn, min_size=1, max_size=2)
    try:
        yield PostgresLedgerStore(pool)
    finally:
        await pool.close()


async def test_document_states_come_back_exactly_as_saved(store: PostgresLedgerStore) -> None:
    books = replay(
        [
            po_opened("PO-1", ("1", "A", "10"), ("2", "B", "4.50")),
            # line 1 by name, B unassigned, and line 9 the PO never lists
            received("R1", "PO-1", ("1", "1", "A", "3", None), ("2", None, "B", "1.25", None)),
            received("R2", "PO-1", ("1", "9", "C", "2", None)),
            order_opened("SO-1", ("1", "A", "2")),
            order_closed("SO-1"),
            job_opened("J1", [("1", "K", "2")], [("1", "A", "4"), ("2", ItemKey("A", "east"), 1)]),
        ]
    )
    keys = sorted(books.documents)
    unseen = DocumentKey(DocumentKind.ORDER, "SO-never")

    async with store.unit_of_work() as uow:
        assert await uow.lock_documents(keys) == {}  # locked, but nothing stored yet
        await uow.save_documents([books.documents[key] for key in keys])
    async with store.unit_of_work() as uow:
        stored = await uow.lock_documents(sorted([*keys, unseen]))

    assert stored == books.documents
    # exactly: decimals keep their digits, unlisted lines and unassigned fulfilment survive
    assert {key: repr(state) for key, state in stored.items()} == {
        key: repr(state) for key, state in books.documents.items()
    }
    assert books.documents[DocumentKey(DocumentKind.PURCHASE_ORDER, "PO-1")].unassigned


def _change(item: ItemKey) -> BalanceChange:
    return BalanceChange(
        item=item,
        version=1,
        balance=Balance(on_hand=Decimal("3.5"), demand=Decimal(-2)),
        delta=Balance(on_hand=Decimal("3.5"), demand=Decimal(-2)),
        occurred_at=datetime(2026, 11, 20, 10, 0, tzinfo=UTC),
        caused_by=("e-1",),
    )


async def test_balances_are_locked_with_their_versions(store: PostgresLedgerStore) -> None:
    moved, untouched = ItemKey("A"), ItemKey("Z", "east")
    change = _change(moved)
    async with store.unit_of_work() as uow:
        await uow.lock_items([moved])
        await uow.save_balances([change])
    async with store.unit_of_work() as uow:
        locked = await uow.lock_items(sorted([moved, untouched]))

    assert locked == {
        moved: VersionedBalance(change.balance, 1),
        untouched: VersionedBalance(Balance(), 0),
    }


def _claim(event_id: str) -> Claim:
    at = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    return Claim(event_id, "order.closed", bytes(32), at)


async def test_a_claim_of_a_processed_event_redoes_the_batch(store: PostgresLedgerStore) -> None:
    async with store.unit_of_work() as uow:
        await uow.claim([_claim("e-1")])

    with pytest.raises(RetryableConflictError):
        async with store.unit_of_work() as uow:
            await uow.lock_items([ItemKey("R")])
            await uow.save_balances([_change(ItemKey("R"))])  # rolled back with the batch
            await uow.claim([_claim("e-2"), _claim("e-1")])

    async with store.unit_of_work() as uow:
        assert (await uow.begin(["e-1", "e-2"])).processed == {"e-1": bytes(32)}
        assert await uow.lock_items([ItemKey("R")]) == {
            ItemKey("R"): VersionedBalance(Balance(), 0)
        }


async def test_a_claim_racing_an_uncommitted_one_waits_then_redoes(
    store: PostgresLedgerStore,
) -> None:
    first_claimed, first_may_commit = asyncio.Event(), asyncio.Event()

    async def first() -> None:
        async with store.unit_of_work() as uow:
            await uow.claim([_claim("race-1")])
            await uow.drain()  # claims are pipelined: the row is locked once the write is done
            first_claimed.set()
            await first_may_commit.wait()

    async def second() -> None:
        await first_claimed.wait()
        async with store.unit_of_work() as uow:
            await uow.claim([_claim("race-1")])  # blocks on the first's row until it commits

    winner = asyncio.create_task(first())
    loser = asyncio.create_task(second())
    await asyncio.sleep(0.2)
    assert not loser.done()  # waiting on the row lock, not failing early
    first_may_commit.set()
    await asyncio.wait_for(winner, timeout=10)
    with pytest.raises(RetryableConflictError):
        await asyncio.wait_for(loser, timeout=10)


async def test_an_outbox_row_writes_the_change_in_contract_numbers(
    store: PostgresLedgerStore, ledger_db: LedgerDatabase
) -> None:
    change = BalanceChange(
        item=ItemKey("P", "east"),
        version=1,
        balance=Balance(Decimal("3.500000"), Decimal("-0"), Decimal("-2.000000")),
        delta=Balance(Decimal("1E+1"), Decimal("0E-6"), Decimal("-2")),
        occurred_at=datetime(2026, 11, 20, 10, 0, tzinfo=UTC),
        caused_by=("e-1", "e-2"),
    )
    async with store.unit_of_work() as uow:
        await uow.lock_items([change.item])
        await uow.save_balances([change])
    conn = await asyncpg.connect(ledger_db.owner_dsn)
    try:
        payload = await conn.fetchval("SELECT payload::text FROM outbox WHERE lic = 'P'")
    finally:
        await conn.close()

    event = BalanceChanged.model_validate_json(payload)
    assert event.event_id == change.event_id
    data = json.loads(payload)["data"]
    assert (data["on_hand"], data["on_order"], data["demand"]) == ("3.5", "0", "-2")
    assert (data["available"], data["projected"]) == ("1.5", "1.5")
    assert data["delta"] == {"on_hand": "10", "on_order": "0", "demand": "-2"}
    assert (data["location"], data["lic"], data["version"]) == ("east", "P", 1)
    assert data["caused_by"] == ["e-1", "e-2"]


@pytest.mark.parametrize("count", [3, COPY_FROM], ids=["with-the-other-writes", "by-copy"])
async def test_transactions_come_back_exactly_as_appended(
    store: PostgresLedgerStore, ledger_db: LedgerDatabase, count: int
) -> None:
    at = datetime(2026, 11, 20, 10, 0, 0, 123456, tzinfo=UTC)
    appended = [
        Transaction(
            ItemKey(f"SKU-{n % 7}", "east"),
            (Bucket.ON_HAND, Bucket.ON_ORDER, Bucket.DEMAND)[n % 3],
            Decimal("-2.500000") if n % 2 else Decimal("1E+1"),
            at + timedelta(seconds=n),
            f"e-{count}-{n}",
            f"PO-{n}",
            None if n % 4 == 0 else str(n % 5),
            "LOT-ä" if n % 3 == 0 else None,
        )
        for n in range(count)
    ]
    async with store.unit_of_work() as uow:
        await uow.append_transactions(appended)
    conn = await asyncpg.connect(ledger_db.owner_dsn)
    try:
        rows = await conn.fetch(
            "SELECT lic, location, bucket, qty, occurred_at, event_id, document, document_line,"
            " mfr_lot FROM transactions WHERE event_id LIKE $1 ORDER BY id",
            f"e-{count}-%",
        )
    finally:
        await conn.close()
    assert [
        Transaction(ItemKey(r[0], r[1]), Bucket(r[2]), r[3], r[4], *r[5:]) for r in rows
    ] == appended


async def test_begin_locks_the_cost_log_head_before_it_reads_the_claims(
    store: PostgresLedgerStore,
) -> None:
    head_held, may_commit = asyncio.Event(), asyncio.Event()

    async def holder() -> None:
        async with store.unit_of_work() as uow:
            start = await uow.begin(["held-1"], cost_serials=[])
            assert start.cost_head == 0
            assert start.processed == {}
            head_held.set()
            await may_commit.wait()
            await uow.claim([_claim("held-1")])

    async def waiter() -> dict[str, bytes]:
        await head_held.wait()
        async with store.unit_of_work() as uow:
            start = await uow.begin(["held-1"], cost_serials=[])  # waits for the head
            return dict(start.processed)

    first = asyncio.create_task(holder())
    second = asyncio.create_task(waiter())
    await asyncio.sleep(0.2)
    assert not second.done()  # waiting on the head's row lock
    may_commit.set()
    await asyncio.wait_for(first, timeout=10)
    # the claims were read after the lock: the holder's claim is seen, no conflict later
    assert await asyncio.wait_for(second, timeout=10) == {"held-1": bytes(32)}
    async with store.unit_of_work() as uow:  # quantities only: the head is not locked
        assert (await uow.begin(["held-1"])).cost_head is None


async def test_begin_reads_ahead_the_parked_events_its_serials_may_cure(
    store: PostgresLedgerStore, ledger_db: LedgerDatabase
) -> None:
    one = shipped("p1", 1, "S", 1, serials=("SN-1",))
    two = shipped("p2", 2, "S", 1, serials=("SN-2",))
    async with store.unit_of_work() as uow:
        await uow.begin([], cost_serials=[])
        await uow.cost.park([(one, "serial_not_in_stock"), (two, "serial_not_in_stock")])
    (key_1,), (key_2,) = serial_keys(one), serial_keys(two)

    async with store.unit_of_work() as uow:
        await uow.begin(["x"], cost_serials=[key_1])
        owner = await asyncpg.connect(ledger_db.owner_dsn)
        try:  # gone from the table, but read ahead: the answer comes from the batch's start
            await owner.execute("DELETE FROM parked_events WHERE event_id = 'p1'")
        finally:
            await owner.close()
        assert [e.event_id for e in await uow.cost.parked_for([key_1])] == ["p1"]
        # a serial not read ahead is asked for: p1 is gone by now, p2 is still parked
        found = await uow.cost.parked_for([key_1, key_2])
        assert [e.event_id for e in found] == ["p2"]
