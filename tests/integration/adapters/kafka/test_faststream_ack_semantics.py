"""What FastStream's ack policies do to a failing *batch* subscriber, pinned on the real broker.

The consumer's design (docs/consumer-design.md) rests on these; a FastStream or aiokafka upgrade
that changes any of them must fail here first (reliability.md, trap 2).
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.middlewares import AckPolicy

from tests.integration.adapters.kafka.conftest import create_topics

pytestmark = [pytest.mark.integration, pytest.mark.timeout(30)]


async def _committed(bootstrap: str, group: str) -> dict[int, int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    return {tp.partition: meta.offset for tp, meta in offsets.items()}


async def _deliveries(
    bootstrap: str, topic: str, policy: AckPolicy, *, nack_first: bool = False
) -> tuple[list[list[Any]], dict[int, int]]:
    """Six messages on one partition, batches of 3; the first handler call fails."""
    await create_topics(bootstrap, topic, partitions=1)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for i in range(6):
            await producer.send_and_wait(topic, str(i).encode())
    finally:
        await producer.stop()
    seen: list[list[Any]] = []
    saw_last = asyncio.Event()
    broker = KafkaBroker(bootstrap, logger=None)

    @broker.subscriber(
        topic,
        group_id=f"{topic}-g",
        batch=True,
        max_records=3,
        batch_timeout_ms=100,
        ack_policy=policy,
        auto_offset_reset="earliest",
    )
    async def handle(body: list[Any], msg: KafkaMessage) -> None:
        seen.append(list(body))
        if 5 in body:
            saw_last.set()
        if len(seen) == 1:
            if nack_first:
                await msg.nack()
                return
            raise RuntimeError("first batch fails")
        if policy is AckPolicy.MANUAL:
            await msg.ack()

    await broker.start()
    try:
        await asyncio.wait_for(saw_last.wait(), 15)
        await asyncio.sleep(0.3)  # let the last ack's commit land
    finally:
        await broker.stop()
    return seen, await _committed(bootstrap, f"{topic}-g")


@pytest.mark.filterwarnings("ignore:AckPolicy.REJECT_ON_ERROR has the same effect")
@pytest.mark.parametrize("policy", [AckPolicy.ACK, AckPolicy.REJECT_ON_ERROR, AckPolicy.ACK_FIRST])
async def test_these_policies_skip_a_failed_batch(
    kafka_bootstrap: str, topic: str, policy: AckPolicy
) -> None:
    seen, committed = await _deliveries(kafka_bootstrap, topic, policy)
    assert seen == [[0, 1, 2], [3, 4, 5]], "the failed batch is never seen again"
    assert committed == {0: 6}


async def test_nack_on_error_redelivers_the_failed_batch_before_moving_on(
    kafka_bootstrap: str, topic: str
) -> None:
    seen, committed = await _deliveries(kafka_bootstrap, topic, AckPolicy.NACK_ON_ERROR)
    assert seen == [[0, 1, 2], [0, 1, 2], [3, 4, 5]]
    assert committed == {0: 6}


async def test_manual_without_ack_or_nack_is_skipped_by_the_next_ack(
    kafka_bootstrap: str, topic: str
) -> None:
    """faststream#2618: an exception leaves the batch unacked; the next ack commits past it."""
    seen, committed = await _deliveries(kafka_bootstrap, topic, AckPolicy.MANUAL)
    assert seen == [[0, 1, 2], [3, 4, 5]]
    assert committed == {0: 6}


async def test_manual_nack_redelivers(kafka_bootstrap: str, topic: str) -> None:
    seen, _ = await _deliveries(kafka_bootstrap, topic, AckPolicy.MANUAL, nack_first=True)
    assert seen == [[0, 1, 2], [0, 1, 2], [3, 4, 5]]


@pytest.mark.parametrize(
    ("handler_s", "graceful_s", "finished"), [(0.5, 5.0, True), (5.0, 0.5, False)]
)
async def test_stop_commits_a_batch_only_if_it_finishes_within_the_graceful_timeout(
    kafka_bootstrap: str, topic: str, handler_s: float, graceful_s: float, finished: bool
) -> None:
    """What SIGTERM does to a FastStream app: stop fetching, wait, then cancel (no commit)."""
    await create_topics(kafka_bootstrap, topic, partitions=1)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()
    try:
        for i in range(3):
            await producer.send_and_wait(topic, str(i).encode())
    finally:
        await producer.stop()
    started, events = asyncio.Event(), []
    broker = KafkaBroker(kafka_bootstrap, logger=None, graceful_timeout=graceful_s)

    @broker.subscriber(
        topic,
        group_id=f"{topic}-g",
        batch=True,
        batch_timeout_ms=100,
        ack_policy=AckPolicy.NACK_ON_ERROR,
        auto_offset_reset="earliest",
    )
    async def handle(body: list[Any]) -> None:
        started.set()
        try:
            await asyncio.sleep(handler_s)
        except asyncio.CancelledError:
            events.append("cancelled")
            raise
        events.append("done")

    await broker.start()
    await asyncio.wait_for(started.wait(), 10)
    await broker.stop()
    committed = await _committed(kafka_bootstrap, f"{topic}-g")
    assert events == (["done"] if finished else ["cancelled"])
    assert committed == ({0: 3} if finished else {}), "an abandoned batch is not committed"
