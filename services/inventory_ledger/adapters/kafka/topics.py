"""Create the service's topics when they do not exist (local stack and demo; in production a
platform team usually owns topic creation, and auto-creation stays off)."""

from __future__ import annotations

import contextlib

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from inventory_ledger.settings import Settings

__all__ = ["ensure_topics"]


async def ensure_topics(settings: Settings, partitions: int = 3) -> list[str]:
    """Create missing inbound and outbound topics; the names created."""
    options = settings.kafka_options()
    admin = AIOKafkaAdminClient(request_timeout_ms=15_000, **options)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [
            *settings.inbound_topics,
            settings.topic_balance_changed,
            settings.topic_dead_letter,
        ]
        missing = [t for t in wanted if t not in existing]
        if missing:
            big = {"max.message.bytes": str(settings.kafka_max_request_size)}
            topics = [
                NewTopic(
                    t, partitions, 1, topic_configs=big if t == settings.topic_dead_letter else {}
                )
                for t in missing
            ]
            with contextlib.suppress(TopicAlreadyExistsError):  # created concurrently: fine
                await admin.create_topics(topics)
        return missing
    finally:
        await admin.close()
