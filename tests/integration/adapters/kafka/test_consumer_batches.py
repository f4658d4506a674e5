"""The service's subscriber (``build_broker``) on a real broker: the handler gets the batch's
records as they came, and FastStream does not decode them first."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import pytest
from faststream.kafka.parser import AioKafkaBatchParser

from inventory_ledger.adapters.kafka.consumer import build_broker
from inventory_ledger.adapters.kafka.producer import start_idempotent_producer, stop_quietly
from inventory_ledger.adapters.kafka.records import KafkaRecord
from inventory_ledger.settings import Settings
from tests.integration.adapters.kafka.conftest import create_topics

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


class Recording:
    def __init__(self, want: int) -> None:
        self.records: list[KafkaRecord] = []
        self.want = want
        self.done = asyncio.Event()

    async def handle(self, records: Sequence[KafkaRecord]) -> None:
        self.records += records
        if len(self.records) >= self.want:
            self.done.set()


async def _inbound_settings(bootstrap: str, topic: str, **extra: Any) -> Settings:
    """Settings on five fresh one-partition inbound topics named after ``topic``."""
    names = [f"{topic}.{n}" for n in ("p", "s", "sh", "j", "a")]
    await create_topics(bootstrap, *names, partitions=1)
    return Settings(
        kafka_bootstrap_servers=bootstrap,
        topic_purchasing=names[0], topic_sales=names[1], topic_shipping=names[2],
        topic_jobs=names[3], topic_adjustments=names[4], consumer_group=f"{topic}-group",
        **extra,
    )  # fmt: skip


async def test_the_handler_gets_raw_records_and_faststream_decodes_none(
    kafka_bootstrap: str, topic: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    decoded: list[int] = []
    original = AioKafkaBatchParser.decode_batch

    async def counting(self: AioKafkaBatchParser, msg: Any) -> Any:
        decoded.append(len(msg.raw_message))
        return await original(self, msg)

    monkeypatch.setattr(AioKafkaBatchParser, "decode_batch", counting)
    settings = await _inbound_settings(kafka_bootstrap, topic)
    names = settings.inbound_topics
    values = [b'{"event_id": "e-1"}', b"not json at all", b"\xff\xfe", b"[1, 2]"]
    handler = Recording(want=len(values))
    broker = build_broker(settings, handler, logger=None)
    await broker.start()
    try:
        producer = await start_idempotent_producer(kafka_bootstrap, "consumer-batches-test")
        try:
            for value in values:
                await producer.send_and_wait(names[1], value, key=b"k")
        finally:
            await stop_quietly(producer, timeout_s=10)
        await asyncio.wait_for(handler.done.wait(), 40)
    finally:
        await broker.stop()
    assert [r.value for r in handler.records] == values
    assert {(r.topic, r.key) for r in handler.records} == {(names[1], b"k")}
    assert decoded == [], "FastStream's batch decoder ran"


async def test_the_fetch_settings_reach_the_consumer(kafka_bootstrap: str, topic: str) -> None:
    """A fetch holds for ``fetch_max_wait_ms`` to gather ``fetch_min_bytes`` (the latency
    defaults: docs/consumer-design.md, Latency)."""
    settings = await _inbound_settings(
        kafka_bootstrap, topic, fetch_max_wait_ms=7, fetch_min_bytes=12_345
    )
    broker = build_broker(settings, Recording(want=1), logger=None)
    await broker.start()
    try:
        (subscriber,) = broker.subscribers
        fetcher = subscriber.consumer._fetcher  # type: ignore[attr-defined]
        assert (fetcher._fetch_max_wait_ms, fetcher._fetch_min_bytes) == (7, 12_345)
    finally:
        await broker.stop()
    defaults = Settings()
    assert (defaults.fetch_max_wait_ms, defaults.fetch_min_bytes) == (20, 1_048_576)
