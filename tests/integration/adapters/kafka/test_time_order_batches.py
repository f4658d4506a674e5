"""A batch merges the prefetched partitions in timestamp order, on a real broker.

Two topics hold the same 1,000 s of history, a record a second each. aiokafka alone fills a
batch of 50 from one prefetched partition: 50 s of one topic. Merged
(``adapters/kafka/time_order.py``), a batch is the next 25 s of both, every record once and in
offset order per partition.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

import pytest

from inventory_ledger.adapters.kafka import time_order
from inventory_ledger.adapters.kafka.alignment import PartitionAligner
from inventory_ledger.adapters.kafka.consumer import build_broker
from inventory_ledger.adapters.kafka.producer import start_idempotent_producer, stop_quietly
from inventory_ledger.adapters.kafka.records import KafkaRecord
from inventory_ledger.settings import Settings
from tests.integration.adapters.kafka.conftest import create_topics

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

SPAN_S = 1_000
BATCH = 50
WINDOW_MS = 30_000


class BatchSpans:
    """Each batch's span of timestamps, and every record's (topic, offset) in arrival order."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.spans: list[int] = []
        self.seen: dict[str, list[int]] = {}
        self.done = asyncio.Event()

    async def handle(self, records: Sequence[KafkaRecord]) -> None:
        stamps = [r.timestamp for r in records]  # type: ignore[attr-defined]  # aiokafka's
        self.spans.append(max(stamps) - min(stamps))
        for record in records:
            self.seen.setdefault(record.topic, []).append(record.offset)  # type: ignore[attr-defined]
        if sum(map(len, self.seen.values())) >= self.total:
            self.done.set()


async def _read(bootstrap: str, topic: str, *, merged: bool) -> BatchSpans:
    one, two = f"{topic}.one", f"{topic}.two"
    others = [f"{topic}.x{n}" for n in range(3)]
    await create_topics(bootstrap, one, two, *others, partitions=1)
    start_ms = int(time.time() * 1000) - 3_600_000
    producer = await start_idempotent_producer(bootstrap, "time-order-test")
    try:
        for second in range(SPAN_S):
            for name in (one, two):
                await producer.send(name, b"{}", key=b"k", timestamp_ms=start_ms + second * 1000)
        await producer.flush()
    finally:
        await stop_quietly(producer, timeout_s=10)
    settings = Settings(
        kafka_bootstrap_servers=bootstrap,
        topic_purchasing=one, topic_sales=two, topic_shipping=others[0],
        topic_jobs=others[1], topic_adjustments=others[2],
        consumer_group=f"{topic}-group", batch_max_records=BATCH,
    )  # fmt: skip
    spans = BatchSpans(2 * SPAN_S)
    broker = build_broker(settings, spans, PartitionAligner(WINDOW_MS, backlog=BATCH), logger=None)
    if not merged:
        time_order.WINDOW_MS = 0  # the control: aiokafka's own batches, the aligner still on
    await broker.start()
    try:
        await asyncio.wait_for(spans.done.wait(), 90)
    finally:
        await broker.stop()
    return spans


async def test_a_batch_is_the_next_records_of_every_partition(
    kafka_bootstrap: str, topic: str
) -> None:
    spans = await _read(kafka_bootstrap, topic, merged=True)
    assert sorted(spans.seen) == [f"{topic}.one", f"{topic}.two"]
    assert all(offsets == list(range(SPAN_S)) for offsets in spans.seen.values())
    full = spans.spans[:-1]  # the last batch may be short
    assert full, "the backlog came in one batch"
    # 50 records of two topics a record a second each: 24-25 s (the first may start early)
    assert max(full) <= (BATCH // 2 + 1) * 1000, spans.spans


async def test_without_the_merge_a_batch_is_one_partition(
    kafka_bootstrap: str, topic: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The control: the same backlog in aiokafka's own batches (so the test above measures
    the merge, not the broker's habits)."""
    monkeypatch.setattr(time_order, "WINDOW_MS", time_order.WINDOW_MS)  # restored after
    spans = await _read(kafka_bootstrap, topic, merged=False)
    assert all(offsets == list(range(SPAN_S)) for offsets in spans.seen.values())
    assert max(spans.spans) >= (BATCH - 1) * 1000
