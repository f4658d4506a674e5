"""Consumer lag of the service's group: end offset minus committed offset, per inbound partition."""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from inventory_ledger.settings import Settings

__all__ = ["consumer_lag"]


async def consumer_lag(settings: Settings) -> dict[TopicPartition, int]:
    """Lag per partition of the inbound topics (a partition never committed counts in full)."""
    options = settings.kafka_options()
    admin = AIOKafkaAdminClient(request_timeout_ms=15_000, **options)
    await admin.start()
    try:
        described = await admin.describe_topics(list(settings.inbound_topics))
        committed = await admin.list_consumer_group_offsets(settings.consumer_group)
    finally:
        await admin.close()
    partitions = [
        TopicPartition(t["topic"], p["partition"]) for t in described for p in t["partitions"]
    ]
    consumer = AIOKafkaConsumer(enable_auto_commit=False, request_timeout_ms=15_000, **options)
    await consumer.start()
    try:
        ends = await consumer.end_offsets(partitions)
    finally:
        await consumer.stop()
    return {tp: ends[tp] - (committed[tp].offset if tp in committed else 0) for tp in partitions}
