"""The service's Kafka producer: idempotent, acks from all in-sync replicas, stopped quietly."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import structlog
from aiokafka import AIOKafkaProducer

__all__ = ["start_idempotent_producer", "stop_quietly"]

_log: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(__name__)


async def start_idempotent_producer(
    bootstrap_servers: str, client_id: str, options: Mapping[str, Any] | None = None
) -> AIOKafkaProducer:
    """A started producer with ``enable_idempotence=True, acks="all"``.

    ``options`` go to ``AIOKafkaProducer`` as they are (SASL/SSL, timeouts, sizes); they cannot
    turn idempotence or ``acks=all`` off. If ``start()`` fails the half-made producer is stopped.
    """
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers,
        client_id=client_id,
        **{**(options or {}), "enable_idempotence": True, "acks": "all"},
    )
    try:
        await producer.start()
    except BaseException:
        await stop_quietly(producer, timeout_s=5)
        raise
    return producer


async def stop_quietly(producer: AIOKafkaProducer, timeout_s: float) -> None:
    """Stop (flushing what is pending) within ``timeout_s``; log instead of raising."""
    try:
        await asyncio.wait_for(producer.stop(), timeout_s)
    except Exception as exc:  # the caller is already failing or leaving; best effort
        _log.warning("producer did not stop cleanly", error=repr(exc))
