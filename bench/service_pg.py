"""Postgres side of the service benchmark: app-role DSNs, the outbox backlog, the final checks,
the raw COPY limit, and the naive one-event-per-transaction consumer."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition

from inventory_ledger.adapters.kafka.records import split_records
from inventory_ledger.adapters.postgres import queries
from inventory_ledger.adapters.postgres.ledger_reads import ledger_counts, reconcile_balances
from inventory_ledger.adapters.postgres.store import PostgresLedgerStore
from inventory_ledger.application.apply_batch import apply_batch

__all__ = [
    "Books",
    "as_role",
    "backlog",
    "books",
    "copy_rate",
    "naive_consume",
    "server_settings",
]


def as_role(dsn: str, role: str) -> str:
    """The same DSN logging in as ``role`` (password = role name, as bench.support makes it)."""
    parts = urlsplit(dsn)
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit(parts._replace(netloc=f"{role}:{role}@{host}"))


async def server_settings(dsn: str) -> dict[str, str]:
    conn = await asyncpg.connect(dsn)
    try:
        names = ("server_version", "fsync", "synchronous_commit", "shared_buffers")
        return {name: str(await conn.fetchval(f"SHOW {name}")) for name in names}
    finally:
        await conn.close()


async def backlog(conn: asyncpg.Connection) -> int:
    """Outbox rows and dead letters not yet published."""
    outbox = await conn.fetchval(queries.OUTBOX_BACKLOG)
    letters = await conn.fetchval("SELECT count(*) FROM dead_letters WHERE published_at IS NULL")
    return int(outbox) + int(letters)


@dataclass(frozen=True)
class Books:
    processed: int
    transactions: int
    outbox_published: int
    outbox_pending: int
    dead_letters: int
    reconciled: bool


async def books(dsn: str) -> Books:
    conn = await asyncpg.connect(dsn)
    try:
        counts = await ledger_counts(conn)
        letters = await conn.fetchval("SELECT count(*) FROM dead_letters")
        ok = (await reconcile_balances(conn)).ok
    finally:
        await conn.close()
    return Books(
        counts.processed,
        counts.transactions,
        counts.outbox_published,
        counts.outbox_pending,
        int(letters),
        ok,
    )


def _ledger_rows(start: int, count: int) -> list[tuple[Any, ...]]:
    """Rows shaped like the service's (columns of queries.TRANSACTION_COLUMNS)."""
    base = datetime(2026, 1, 5, 8, tzinfo=UTC)
    buckets = ("on_hand", "on_order", "demand")
    return [
        (
            f"WIDGET-{i % 50:04d}",
            "main" if i % 2 else "site-b",
            buckets[i % 3],
            Decimal(i % 97 + 1) / 4,
            base + timedelta(seconds=i),
            f"00000000-0000-4000-8000-{i:012d}",
            f"PO-01-{i // 7:06d}",
            str(i % 5 + 1),
            None,
        )
        for i in range(start, start + count)
    ]


async def copy_rate(owner_dsn: str, rows: int, chunk: int = 50_000) -> tuple[int, float]:
    """Rows/s of asyncpg COPY into a scratch copy of ``transactions`` (same columns, identity
    and indexes), in chunks of ``chunk`` rows, each its own transaction."""
    conn = await asyncpg.connect(owner_dsn)
    try:
        await conn.execute(
            "CREATE TABLE bench_copy_scratch (LIKE transactions INCLUDING DEFAULTS "
            "INCLUDING IDENTITY INCLUDING CONSTRAINTS INCLUDING INDEXES)"
        )
        elapsed = 0.0
        for start in range(0, rows, chunk):
            records = _ledger_rows(start, min(chunk, rows - start))
            began = time.perf_counter()
            await conn.copy_records_to_table(
                "bench_copy_scratch", columns=queries.TRANSACTION_COLUMNS, records=records
            )
            elapsed += time.perf_counter() - began
        await conn.execute("DROP TABLE bench_copy_scratch")
    finally:
        await conn.close()
    return rows, elapsed


async def naive_consume(
    bootstrap: str, topics: list[str], group: str, app_dsn: str, limit: int
) -> tuple[int, float]:
    """A straightforward consumer: for each message, the project's parsing and unit of work in
    its own database transaction, then a commit of that one offset. Events/s over ``limit``."""
    pool = await asyncpg.create_pool(app_dsn, min_size=1, max_size=1)
    consumer = AIOKafkaConsumer(
        *topics,
        bootstrap_servers=bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        store = PostgresLedgerStore(pool)
        done, started = 0, 0.0
        while done < limit:
            record = await consumer.getone()
            if not started:
                started = time.perf_counter()
            inbound, letters = split_records([record])
            await apply_batch(store, inbound, dead_letters=letters)
            tp = TopicPartition(record.topic, record.partition)
            await consumer.commit({tp: record.offset + 1})
            done += 1
        return done, time.perf_counter() - started
    finally:
        await consumer.stop()
        await pool.close()
