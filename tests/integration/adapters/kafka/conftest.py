"""Helpers for the relay tests: topics, a reader of whole topics, bounded waits, clean tables."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from tests.conftest import LedgerDatabase


@dataclass(frozen=True)
class Received:
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: dict[str, bytes]


async def create_topics(bootstrap: str, *topics: str, partitions: int = 3) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(t, partitions, 1) for t in topics])
    finally:
        await admin.close()


async def read_topic(
    bootstrap: str, topic: str, want: int, timeout_s: float = 10
) -> list[Received]:
    """Everything on ``topic`` from the start, once at least ``want`` arrived (or timeout)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    got: list[Received] = []
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        if not partitions:
            await consumer._client.force_metadata_update()
            partitions = consumer.partitions_for_topic(topic) or {0}
        consumer.assign([TopicPartition(topic, p) for p in partitions])
        await consumer.seek_to_beginning()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=300)
            got += [
                Received(m.partition, m.offset, m.key, m.value, dict(m.headers))
                for msgs in batch.values()
                for m in msgs
            ]
            if len(got) >= want and not batch:
                break
    finally:
        await consumer.stop()
    return got


async def eventually(
    check: Callable[[], Awaitable[bool]], timeout_s: float = 10, what: str = "condition"
) -> None:
    deadline = time.monotonic() + timeout_s
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")
        await asyncio.sleep(0.05)


def payload(location: str, lic: str, version: int) -> dict[str, object]:
    """An ``inventory.balance_changed`` envelope as the store writes it."""
    return {
        "event_id": f"bc-{location}-{lic}-{version}",
        "event_type": "inventory.balance_changed",
        "schema_version": 1,
        "occurred_at": "2026-11-20T10:15:00+00:00",
        "data": {
            "lic": lic,
            "location": location,
            "version": version,
            "on_hand": str(version),
            "on_order": "0",
            "demand": "0",
            "available": str(version),
            "projected": str(version),
            "delta": {"on_hand": "1", "on_order": "0", "demand": "0"},
            "caused_by": [f"e-{lic}-{version}"],
        },
    }


INSERT_OUTBOX = """
INSERT INTO outbox (event_id, location, lic, version, payload)
VALUES ($1, $2, $3, $4, $5::jsonb) RETURNING id"""


async def insert_outbox(conn: asyncpg.Connection, location: str, lic: str, version: int) -> int:
    body = payload(location, lic, version)
    row_id: int = await conn.fetchval(
        INSERT_OUTBOX, body["event_id"], location, lic, version, json.dumps(body)
    )
    return row_id


@pytest.fixture
async def app_conn(ledger_db: LedgerDatabase) -> AsyncIterator[asyncpg.Connection]:
    """An app-role connection on a database whose outbox and dead letters were emptied."""
    owner = await asyncpg.connect(ledger_db.owner_dsn, timeout=10)
    try:
        await owner.execute("TRUNCATE outbox, dead_letters")
    finally:
        await owner.close()
    conn = await asyncpg.connect(ledger_db.app_dsn, timeout=10)
    try:
        yield conn
    finally:
        await conn.close()


@pytest.fixture
async def topics(kafka_bootstrap: str, topic: str) -> tuple[str, str]:
    """A fresh balance-changed topic and dead-letter topic (3 partitions each)."""
    names = (f"{topic}-bc", f"{topic}-dlq")
    await create_topics(kafka_bootstrap, *names)
    return names
