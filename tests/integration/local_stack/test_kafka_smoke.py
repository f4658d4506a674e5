"""The broker is real: consumer groups commit offsets, idempotent producers deliver once."""

from __future__ import annotations

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

pytestmark = pytest.mark.integration


async def _create(bootstrap: str, topic: str, partitions: int = 3) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, partitions, 1)])
    finally:
        await admin.close()


async def _drain(consumer: AIOKafkaConsumer, want: int, rounds: int = 20) -> list[bytes]:
    got: list[bytes] = []
    for _ in range(rounds):
        batch = await consumer.getmany(timeout_ms=500)
        got += [m.value for msgs in batch.values() for m in msgs if m.value is not None]
        if len(got) >= want:
            break
    return got


def _consumer(bootstrap: str, topic: str, group: str) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        request_timeout_ms=10_000,
    )


async def test_consumer_group_resumes_after_committed_offsets(
    kafka_bootstrap: str, topic: str
) -> None:
    await _create(kafka_bootstrap, topic)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    try:
        for i in range(10):
            await producer.send_and_wait(topic, f"first-{i}".encode(), key=f"k{i}".encode())
    finally:
        await producer.stop()

    group = f"{topic}-group"
    first = _consumer(kafka_bootstrap, topic, group)
    await first.start()
    try:
        assert sorted(await _drain(first, 10)) == sorted(f"first-{i}".encode() for i in range(10))
        await first.commit()
        committed = {tp.partition: await first.committed(tp) for tp in first.assignment()}
    finally:
        await first.stop()
    assert sum(v or 0 for v in committed.values()) == 10

    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    try:
        for i in range(5):
            await producer.send_and_wait(topic, f"second-{i}".encode(), key=f"k{i}".encode())
    finally:
        await producer.stop()

    second = _consumer(kafka_bootstrap, topic, group)
    await second.start()
    try:
        got = await _drain(second, 5)
        again = {p: await second.committed(TopicPartition(topic, p)) for p in committed}
    finally:
        await second.stop()
    assert sorted(got) == sorted(f"second-{i}".encode() for i in range(5)), "re-read old messages"
    assert again == committed, "a restarted consumer must see the offsets committed before"


async def test_idempotent_producer_delivers_each_message_once(
    kafka_bootstrap: str, topic: str
) -> None:
    await _create(kafka_bootstrap, topic, partitions=1)
    producer = AIOKafkaProducer(
        bootstrap_servers=kafka_bootstrap, enable_idempotence=True, acks="all"
    )
    await producer.start()
    try:
        futures = [await producer.send(topic, f"m{i}".encode(), key=b"same") for i in range(200)]
        await producer.flush()
        offsets = [(await f).offset for f in futures]
    finally:
        await producer.stop()
    assert offsets == list(range(200)), "one partition, in order, no duplicate offsets"

    consumer = AIOKafkaConsumer(
        bootstrap_servers=kafka_bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    try:
        consumer.assign([TopicPartition(topic, 0)])
        got = await _drain(consumer, 200)
    finally:
        await consumer.stop()
    assert got == [f"m{i}".encode() for i in range(200)]
