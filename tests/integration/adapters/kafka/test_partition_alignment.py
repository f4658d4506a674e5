"""Catch-up in timestamp order on a real broker (``adapters/kafka/alignment.py``).

Two topics hold the same 2,000 s of history: one a record a second, the other a record every
ten seconds. Read at the same record rate, the sparse one runs most of its history ahead; with
the aligner the consumer never gets much further ahead on one than the window and a batch
(a partition counts as behind here from one batch of records left, not the default 100).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

import pytest

from inventory_ledger.adapters.kafka.alignment import PartitionAligner
from inventory_ledger.adapters.kafka.consumer import build_broker
from inventory_ledger.adapters.kafka.producer import start_idempotent_producer, stop_quietly
from inventory_ledger.adapters.kafka.records import KafkaRecord
from inventory_ledger.settings import Settings
from tests.integration.adapters.kafka.conftest import create_topics

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

SPAN_S = 2_000
DENSE_EVERY_S, SPARSE_EVERY_S = 1, 10
BATCH = 10
WINDOW_MS = 30_000


class SkewRecorder:
    """After each batch: how far the latest record read runs ahead of the topic furthest
    behind (a topic not started counts at its first record; a finished one does not count)."""

    def __init__(self, first: int, ends: dict[str, int]) -> None:
        self.ends = ends  # topic -> its last timestamp
        self.latest = dict.fromkeys(ends, first)
        self.count = 0
        self.widest = 0
        self.done = asyncio.Event()

    async def handle(self, records: Sequence[KafkaRecord]) -> None:
        for record in records:
            stamp: int = record.timestamp  # type: ignore[attr-defined]  # aiokafka's record
            self.latest[record.topic] = max(self.latest[record.topic], stamp)
        self.count += len(records)
        unfinished = [self.latest[t] for t, end in self.ends.items() if self.latest[t] < end]
        if unfinished:
            self.widest = max(self.widest, max(self.latest.values()) - min(unfinished))
        if self.count == SPAN_S // DENSE_EVERY_S + SPAN_S // SPARSE_EVERY_S:
            self.done.set()


async def _read_skew(bootstrap: str, topic: str, window_ms: int) -> int:
    dense, sparse = f"{topic}.dense", f"{topic}.sparse"
    await create_topics(bootstrap, dense, sparse, partitions=1)
    start_ms = int(time.time() * 1000) - 3_600_000
    producer = await start_idempotent_producer(bootstrap, "alignment-test")
    try:
        for name, every in ((dense, DENSE_EVERY_S), (sparse, SPARSE_EVERY_S)):
            for second in range(0, SPAN_S, every):
                await producer.send(name, b"{}", key=b"k", timestamp_ms=start_ms + second * 1000)
        await producer.flush()
    finally:
        await stop_quietly(producer, timeout_s=10)
    last = {
        dense: start_ms + (SPAN_S - DENSE_EVERY_S) * 1000,
        sparse: start_ms + (SPAN_S - SPARSE_EVERY_S) * 1000,
    }
    settings = Settings(
        kafka_bootstrap_servers=bootstrap,
        topic_purchasing=dense, topic_sales=sparse, topic_shipping=f"{topic}.x3",
        topic_jobs=f"{topic}.x4", topic_adjustments=f"{topic}.x5",
        consumer_group=f"{topic}-group", batch_max_records=BATCH,
    )  # fmt: skip
    await create_topics(bootstrap, f"{topic}.x3", f"{topic}.x4", f"{topic}.x5", partitions=1)
    recorder = SkewRecorder(start_ms, last)
    aligner = PartitionAligner(window_ms, backlog=BATCH)
    broker = build_broker(settings, recorder, aligner, logger=None)
    await broker.start()
    try:
        await asyncio.wait_for(recorder.done.wait(), 90)
    finally:
        await broker.stop()
    return recorder.widest


async def test_a_backlog_is_read_within_the_window_of_its_timestamps(
    kafka_bootstrap: str, topic: str
) -> None:
    widest = await _read_skew(kafka_bootstrap, topic, WINDOW_MS)
    # the window, plus what one batch of the sparse topic spans, plus one of the dense
    bound = WINDOW_MS + BATCH * (SPARSE_EVERY_S + DENSE_EVERY_S) * 1000
    assert 0 < widest <= bound, f"read {widest / 1000:.0f} s apart (bound {bound / 1000:.0f} s)"


async def test_without_alignment_the_sparse_topic_runs_ahead(
    kafka_bootstrap: str, topic: str
) -> None:
    """The control: the same backlog read with the window off is read far apart (so the test
    above measures the aligner, not the fetcher's own habits)."""
    widest = await _read_skew(kafka_bootstrap, topic, 0)
    assert widest > 5 * (WINDOW_MS + BATCH * (SPARSE_EVERY_S + DENSE_EVERY_S) * 1000)
