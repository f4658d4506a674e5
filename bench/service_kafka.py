"""Kafka side of the service benchmark: topic sets, pre-loading, the raw consume limit, group
progress, and the downstream reader of balance_changed used for latency.

Every name is unique to the run (``bench_<hex>.…``) and the topics are deleted at the end, so
runs never see each other's data or another engineer's.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from inventory_ledger.simulation import SimulatedMessage, SimulationConfig, TopicNames, generate
from inventory_ledger.simulation.kafka import publish

__all__ = [
    "DownstreamReader",
    "GroupProgress",
    "TopicSet",
    "create_topics",
    "delete_topics",
    "end_offsets",
    "preload",
    "raw_consume",
    "send_paced",
]


@dataclass(frozen=True)
class TopicSet:
    """Five inbound topics plus the two outbound ones, all named after ``prefix``."""

    prefix: str
    partitions: int

    @property
    def inbound(self) -> TopicNames:
        p = self.prefix
        return TopicNames(
            f"{p}.purchasing", f"{p}.sales", f"{p}.shipping", f"{p}.jobs", f"{p}.adjustments"
        )

    @property
    def balance_changed(self) -> str:
        return f"{self.prefix}.balance-changed"

    @property
    def dead_letter(self) -> str:
        return f"{self.prefix}.dead-letter"

    def all(self) -> list[str]:
        return [*self.inbound.all(), self.balance_changed, self.dead_letter]

    def env(self) -> dict[str, str]:
        """The ``INVENTORY_TOPIC_*`` settings that point the service at this set."""
        names = self.inbound
        return {
            "INVENTORY_TOPIC_PURCHASING": names.purchasing,
            "INVENTORY_TOPIC_SALES": names.sales,
            "INVENTORY_TOPIC_SHIPPING": names.shipping,
            "INVENTORY_TOPIC_JOBS": names.jobs,
            "INVENTORY_TOPIC_ADJUSTMENTS": names.adjustments,
            "INVENTORY_TOPIC_BALANCE_CHANGED": self.balance_changed,
            "INVENTORY_TOPIC_DEAD_LETTER": self.dead_letter,
        }


async def create_topics(bootstrap: str, topics: TopicSet) -> None:
    """Create the set and wait until every partition has a leader."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=30_000)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, topics.partitions, 1) for name in topics.all()])
        for _ in range(300):
            try:
                if len(await _described(admin, topics.all())) == topics.partitions * 7:
                    return
            except RuntimeError:
                pass
            await asyncio.sleep(0.1)
        raise RuntimeError(f"topics of {topics.prefix} have no leaders after 30 s")
    finally:
        await admin.close()


async def _described(admin: AIOKafkaAdminClient, topics: Iterable[str]) -> list[TopicPartition]:
    """Partitions of ``topics`` that have a leader (RuntimeError if a topic is not ready)."""
    found: list[TopicPartition] = []
    for topic in await admin.describe_topics(list(topics)):
        if topic["error_code"] != 0:
            raise RuntimeError(f"topic {topic['topic']}: error {topic['error_code']}")
        found.extend(
            TopicPartition(topic["topic"], p["partition"])
            for p in topic["partitions"]
            if p["leader"] >= 0
        )
    return sorted(found)


async def delete_topics(bootstrap: str, names: Sequence[str]) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=30_000)
    await admin.start()
    try:
        await admin.delete_topics(list(names))
    finally:
        await admin.close()


async def preload(bootstrap: str, config: SimulationConfig) -> tuple[int, float]:
    """The simulator's own publish path (idempotent producer, windows of delivery futures)."""
    started = time.perf_counter()
    sent = await publish(generate(config), bootstrap, client_id="bench-preload")
    return sent, time.perf_counter() - started


async def _partitions(bootstrap: str, topics: Iterable[str]) -> list[TopicPartition]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=30_000)
    await admin.start()
    try:
        return await _described(admin, topics)
    finally:
        await admin.close()


async def end_offsets(bootstrap: str, topics: Iterable[str]) -> dict[TopicPartition, int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        parts = await _partitions(bootstrap, topics)
        return dict(await consumer.end_offsets(parts))
    finally:
        await consumer.stop()


async def raw_consume(bootstrap: str, topics: Sequence[str], total: int) -> tuple[int, float]:
    """Records/s of a plain aiokafka consumer reading every partition from offset 0 (no group,
    no parsing, no commits): the ceiling any consumer of these topics can reach here."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        parts = await _partitions(bootstrap, topics)
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        count, started = 0, time.perf_counter()
        while count < total:
            batches = await consumer.getmany(timeout_ms=1000)
            for records in batches.values():
                count += len(records)
        return count, time.perf_counter() - started
    finally:
        await consumer.stop()


@dataclass
class GroupProgress:
    """Committed offsets of a consumer group over the inbound partitions (what it has applied:
    the service commits an offset only after the batch's database transaction)."""

    bootstrap: str
    group: str
    ends: Mapping[TopicPartition, int]
    _admin: AIOKafkaAdminClient | None = None

    @property
    def total(self) -> int:
        return sum(self.ends.values())

    async def committed(self) -> int:
        if self._admin is None:
            self._admin = AIOKafkaAdminClient(
                bootstrap_servers=self.bootstrap, request_timeout_ms=15_000
            )
            await self._admin.start()
        offsets = await self._admin.list_consumer_group_offsets(self.group)
        return sum(
            min(meta.offset, end)
            for tp, end in self.ends.items()
            if (meta := offsets.get(tp)) is not None and meta.offset >= 0
        )

    async def close(self) -> None:
        if self._admin is not None:
            await self._admin.close()
            self._admin = None


@dataclass
class DownstreamReader:
    """A plain consumer of the balance-changed topic: when each caused_by event id was first
    and last seen (all of an event's balance changes readable = last), and the latest Kafka
    timestamp of those records (``CreateTime``: when the service's relay called ``send()``,
    wall clock, ms resolution)."""

    bootstrap: str
    topic: str
    first_seen: dict[str, float] = field(default_factory=dict)
    last_seen: dict[str, float] = field(default_factory=dict)
    relayed_at: dict[str, float] = field(default_factory=dict)
    """Wall-clock seconds (``time.time()``) of the last record naming the event."""
    messages: int = 0
    _task: asyncio.Task[None] | None = None
    _ready: asyncio.Event = field(default_factory=asyncio.Event)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="downstream-reader")
        await self._ready.wait()

    async def _run(self) -> None:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )
        await consumer.start()
        try:
            parts = await _partitions(self.bootstrap, [self.topic])
            consumer.assign(parts)
            await consumer.seek_to_beginning(*parts)
            self._ready.set()
            while True:
                batches = await consumer.getmany(timeout_ms=100)
                now = time.perf_counter()
                for records in batches.values():
                    for record in records:
                        self.messages += 1
                        payload = orjson.loads(record.value)
                        relayed = record.timestamp / 1000
                        for event_id in payload["data"]["caused_by"]:
                            self.first_seen.setdefault(event_id, now)
                            self.last_seen[event_id] = now
                            self.relayed_at[event_id] = max(
                                relayed, self.relayed_at.get(event_id, relayed)
                            )
        finally:
            await consumer.stop()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


async def send_paced(
    bootstrap: str, messages: Sequence[SimulatedMessage], rate: float
) -> tuple[dict[str, float], float]:
    """Send ``messages`` at ``rate`` per second (acks=all, no linger); the perf_counter time
    just before each event's ``send()``, by event id, and the seconds the sending took."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, client_id="bench-latency", acks="all", linger_ms=0
    )
    await producer.start()
    sent_at: dict[str, float] = {}
    pending: list[asyncio.Future[object]] = []
    try:
        encoded = [(m.topic, m.key.encode(), orjson.dumps(m.value), _event_id(m)) for m in messages]
        started = time.perf_counter()
        for i, (topic, key, value, event_id) in enumerate(encoded):
            due = started + i / rate
            if (ahead := due - time.perf_counter()) > 0:
                await asyncio.sleep(ahead)
            sent_at[event_id] = time.perf_counter()
            pending.append(await producer.send(topic, value=value, key=key))
        await asyncio.gather(*pending)
        return sent_at, time.perf_counter() - started
    finally:
        await producer.stop()


def _event_id(message: SimulatedMessage) -> str:
    assert not isinstance(message.value, bytes)
    return str(message.value["event_id"])
