"""Send a batch, flush, and say exactly which rows the broker acknowledged.

A row counts as acknowledged only if its own send was acked *and* no earlier row with the same
key failed: marking a later version while an earlier one is re-sent would put the versions of
a key out of order on the topic. For the same reason a row whose key was already refused by the
producer in this batch (e.g. too large) is not even sent. Unacked rows are simply sent again later
(at-least-once; subscribers dedupe by ``event_id`` or keep the highest version).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from inventory_ledger.adapters.kafka.relay_sources import Outgoing

__all__ = ["PublishResult", "publish_batch"]

_HELD_BACK = RuntimeError("not sent: an earlier row with the same key was not acked")


@dataclass(frozen=True)
class PublishResult:
    """Row ids to mark, and the rows that were not acknowledged (with why)."""

    acked: list[int] = field(default_factory=list)
    failed: list[tuple[int, BaseException]] = field(default_factory=list)


async def _send(
    producer: AIOKafkaProducer, topic: str, item: Outgoing
) -> asyncio.Future[object] | BaseException:
    try:
        future: asyncio.Future[object] = await producer.send(
            topic, item.value, key=item.key, headers=list(item.headers)
        )
    except KafkaError as exc:  # e.g. MessageSizeTooLargeError: this row only
        error: BaseException = exc
        return error
    return future


async def publish_batch(
    producer: AIOKafkaProducer, topic: str, batch: Sequence[Outgoing], timeout_s: float
) -> PublishResult:
    """Send every row in order, flush, wait for the acks (bounded by ``timeout_s``).

    Raises ``TimeoutError`` if the broker does not answer in time (then nothing is reported
    acked, so nothing gets marked).
    """
    async with asyncio.timeout(timeout_s):
        pending: list[asyncio.Future[object] | BaseException] = []
        refused: set[bytes | None] = set()  # keys whose earlier row the producer refused
        for item in batch:
            sent = _HELD_BACK if item.key in refused else await _send(producer, topic, item)
            if isinstance(sent, BaseException):
                refused.add(item.key)
            pending.append(sent)
        await producer.flush()
        outcomes = [p if isinstance(p, BaseException) else await _outcome(p) for p in pending]
    result = PublishResult()
    blocked: set[bytes | None] = set()
    for item, outcome in zip(batch, outcomes, strict=True):
        if outcome is None and item.key not in blocked:
            result.acked.append(item.row_id)
            continue
        blocked.add(item.key)
        error = outcome or _HELD_BACK
        result.failed.append((item.row_id, error))
    return result


async def _outcome(future: asyncio.Future[object]) -> BaseException | None:
    try:
        await future
    except KafkaError as exc:
        error: BaseException = exc
        return error
    return None
