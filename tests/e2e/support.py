"""Helpers of the end-to-end tests: topics, a published stream, the oracle, the output topic."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import asyncpg
import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from pydantic import SecretStr

from inventory_ledger.adapters.contract_events import envelope_to_domain
from inventory_ledger.domain.balance import Balance
from inventory_ledger.domain.books import Books, replay
from inventory_ledger.domain.item import ItemKey
from inventory_ledger.settings import Settings
from inventory_ledger.simulation import SimulatedMessage, TopicNames, valid_events


@dataclass(frozen=True)
class Topics:
    inbound: TopicNames
    balance_changed: str
    dead_letter: str
    group: str


def topics_for(prefix: str) -> Topics:
    return Topics(
        TopicNames(*(f"{prefix}.{name}" for name in TopicNames().all())),
        f"{prefix}.balance-changed",
        f"{prefix}.dead-letter",
        f"{prefix}.group",
    )


async def create_topics(bootstrap: str, topics: Topics, partitions: int = 3) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=15_000)
    await admin.start()
    try:
        names = [*topics.inbound.all(), topics.balance_changed, topics.dead_letter]
        await admin.create_topics([NewTopic(n, partitions, 1) for n in names])
    finally:
        await admin.close()


def service_settings(bootstrap: str, app_dsn: str, topics: Topics, **extra: Any) -> Settings:
    t = topics.inbound
    return Settings(
        kafka_bootstrap_servers=bootstrap,
        database_url=SecretStr(app_dsn),
        topic_purchasing=t.purchasing,
        topic_sales=t.sales,
        topic_shipping=t.shipping,
        topic_jobs=t.jobs,
        topic_adjustments=t.adjustments,
        topic_balance_changed=topics.balance_changed,
        topic_dead_letter=topics.dead_letter,
        consumer_group=topics.group,
        relay_poll_interval_s=0.2,
        http_port=0,
        metrics_interval_s=1.0,
        shutdown_timeout_s=20,
        **extra,
    )


def oracle(messages: list[SimulatedMessage]) -> Books:
    """The pure core's books for the valid, de-duplicated events of a stream."""
    return replay(
        envelope_to_domain(m.value)  # type: ignore[arg-type]
        for m in valid_events(messages)
    )


async def wait_for(check: Callable[[], Awaitable[bool]], within_s: float, what: str) -> None:
    deadline = time.monotonic() + within_s
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within_s:.0f}s waiting for {what}")
        await asyncio.sleep(0.25)


async def settled(dsn: str, processed: int, dead_letters: int) -> bool:
    """Every event processed, every dead letter recorded, the outbox and letters published.

    Dead letters cured later (a serial shipped before its receipt arrived: parked, then
    applied) are marked replayed and not counted; nothing may still be parked.
    """
    conn = await asyncpg.connect(dsn)
    try:
        row = await conn.fetchrow(
            """SELECT (SELECT count(*) FROM processed_events) AS processed,
                      (SELECT count(*) FROM dead_letters WHERE replayed_at IS NULL)
                          + (SELECT count(*) FROM parked_events) AS letters,
                      (SELECT count(*) FROM outbox WHERE published_at IS NULL) AS outbox,
                      (SELECT count(*) FROM dead_letters WHERE published_at IS NULL) AS unsent"""
        )
    finally:
        await conn.close()
    assert row is not None
    return (row["processed"], row["letters"], row["outbox"], row["unsent"]) == (
        processed,
        dead_letters,
        0,
        0,
    )


async def stored_balances(dsn: str) -> dict[ItemKey, Balance]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch("SELECT lic, location, on_hand, on_order, demand FROM balances")
    finally:
        await conn.close()
    return {
        ItemKey(r["lic"], r["location"]): Balance(r["on_hand"], r["on_order"], r["demand"])
        for r in rows
        if (r["on_hand"], r["on_order"], r["demand"]) != (0, 0, 0)
    }


async def read_topic(bootstrap: str, topic: str) -> list[tuple[bytes | None, dict[str, Any]]]:
    """Every record of a topic, in partition order: (key, decoded value)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=15_000)
    await admin.start()
    try:
        (described,) = await admin.describe_topics([topic])
    finally:
        await admin.close()
    partitions = [TopicPartition(topic, p["partition"]) for p in described["partitions"]]
    assert partitions, f"topic {topic} has no partitions"
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        out: list[tuple[bytes | None, dict[str, Any]]] = []
        for tp in partitions:
            while await consumer.position(tp) < ends[tp]:
                batch = await consumer.getmany(tp, timeout_ms=2000)
                out += [(m.key, orjson.loads(m.value)) for m in batch.get(tp, []) if m.value]
        return out
    finally:
        await consumer.stop()


def last_published(records: list[tuple[bytes | None, dict[str, Any]]]) -> dict[ItemKey, Balance]:
    """The highest version per key, as a subscriber keeping the highest version would hold."""
    best: dict[ItemKey, dict[str, Any]] = {}
    for _, value in records:
        data = value["data"]
        item = ItemKey(data["lic"], data["location"])
        if item not in best or data["version"] > best[item]["version"]:
            best[item] = data
    return {
        item: Balance(Decimal(d["on_hand"]), Decimal(d["on_order"]), Decimal(d["demand"]))
        for item, d in best.items()
        if (Decimal(d["on_hand"]), Decimal(d["on_order"]), Decimal(d["demand"])) != (0, 0, 0)
    }


def versions_per_key(records: list[tuple[bytes | None, dict[str, Any]]]) -> dict[bytes, list[int]]:
    seen: dict[bytes, list[int]] = {}
    for key, value in records:
        assert key is not None
        seen.setdefault(key, []).append(value["data"]["version"])
    return seen
