"""Publish a simulated stream to Kafka with aiokafka.

Idempotent producer (``acks=all``, ``enable_idempotence``), records keyed as contracts.md
says, sent without waiting per record: ``send()`` only enqueues into aiokafka's batches and
the delivery futures are awaited a window at a time, with a final ``flush()``; a failed
delivery raises. Values are the envelope as compact JSON (UTF-8), or a malformed record's raw
bytes unchanged.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

import orjson
from aiokafka import AIOKafkaProducer

from .config import SimulatedMessage
from .pacing import Pacer

__all__ = ["publish"]

_WINDOW = 2_000
"""Records per group of delivery futures (about a second's worth when rate-limited); two
groups are in flight at a time."""


async def _settle(window: list[Any], progress: Callable[[int], None] | None) -> None:
    await asyncio.gather(*window)
    if progress is not None:
        progress(len(window))


async def publish(
    messages: Iterable[SimulatedMessage],
    bootstrap_servers: str,
    *,
    rate: float | None = None,
    progress: Callable[[int], None] | None = None,
    client_id: str = "inventory-ledger-simulator",
    linger_ms: int = 10,
) -> int:
    """Send every record and wait until Kafka acknowledged all of them; the count sent.

    ``rate`` limits records per second; ``progress(n)`` is called as records are acknowledged.
    """
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers,
        client_id=client_id,
        acks="all",
        enable_idempotence=True,
        linger_ms=linger_ms,
        max_batch_size=256 * 1024,
    )
    await producer.start()
    try:
        pacer = Pacer(rate)
        pacer.wait_s(0)
        every = pacer.every
        size = _WINDOW if rate is None else max(1, min(_WINDOW, int(rate)))
        in_flight: deque[list[Any]] = deque()
        window: list[Any] = []
        sent = 0
        for message in messages:
            value = message.value
            raw = value if isinstance(value, bytes) else orjson.dumps(value)
            window.append(await producer.send(message.topic, value=raw, key=message.key.encode()))
            sent += 1
            if len(window) == size:
                in_flight.append(window)
                window = []
                if len(in_flight) > 1:
                    await _settle(in_flight.popleft(), progress)
            if sent % every == 0:
                await asyncio.sleep(pacer.wait_s(sent))
        await producer.flush()
        in_flight.append(window)
        while in_flight:
            await _settle(in_flight.popleft(), progress)
    finally:
        await producer.stop()
    return sent
