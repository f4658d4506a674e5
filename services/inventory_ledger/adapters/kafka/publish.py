"""Send a batch, flush, and say exactly which rows the broker acknowledged.

A row counts as acknowledged only if its own send was acked *and* no earlier row with the same
key failed: marking a later version while an earlier one is re-sent would put the versions of
a key out of order on the topic. For the same reason a row whose key was already refused by the
producer in this batch (e.g. too large) is not even sent. Unacked rows are simply sent again later
(at-least-once; subscribers dedupe by ``event_id`` or keep the highest version).

Each failure says whose fault it is (:func:`is_row_fault`): a row the broker will never take as
it is (too large, corrupt) is that row's key's problem, so the relay holds only that key back;
anything else (timeouts, no leader, not enough replicas) is the topic's or the broker's. When
a held key is tried again it is *probed*: only its first row is sent, the rest wait for its ack.

Limit: a row the *broker* refuses (the topic's ``max.message.bytes``) is refused only after the
rows of its key behind it in the same batch were already sent; those may reach the topic ahead
of it once (they are not marked, so they are sent again, in order, after it). A row the
*producer* refuses (``max_request_size``) never lets a later row of its key out.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from aiokafka import AIOKafkaProducer
from aiokafka.errors import (
    CorruptRecordException,
    InvalidTimestampError,
    KafkaError,
    MessageSizeTooLargeError,
    RecordListTooLargeError,
    RecordTooLargeError,
)

from inventory_ledger.adapters.kafka.relay_sources import Outgoing

__all__ = ["Failure", "PublishResult", "is_row_fault", "publish_batch"]

_HELD_BACK = RuntimeError("not sent: an earlier row with the same key was not acked")

_ROW_FAULTS = (
    MessageSizeTooLargeError,  # over the producer's max_request_size or the topic's limit
    RecordTooLargeError,
    RecordListTooLargeError,
    CorruptRecordException,
    InvalidTimestampError,
)


def is_row_fault(error: BaseException) -> bool:
    """Whether the broker refuses this record itself, so sending it again as is cannot help."""
    return isinstance(error, _ROW_FAULTS)


@dataclass(frozen=True)
class Failure:
    """A row that was not acknowledged: its own error, or ``held_back`` behind its key's."""

    row_id: int
    key: bytes | None
    error: BaseException
    held_back: bool = False


@dataclass(frozen=True)
class PublishResult:
    """Row ids to mark, and the rows that were not acknowledged (with why)."""

    acked: list[int] = field(default_factory=list)
    failed: list[Failure] = field(default_factory=list)
    sequence_gap: bool = False
    """A record the producer had taken failed at the broker. The idempotent producer numbered
    it, and aiokafka never gives the number back, so every later batch to that partition would
    fail with ``OutOfOrderSequenceNumber``: this producer must be replaced."""

    def key_errors(self) -> dict[bytes | None, BaseException]:
        """The first failure of each key that had one (rows held behind it left out)."""
        errors: dict[bytes | None, BaseException] = {}
        for failure in self.failed:
            if not failure.held_back:
                errors.setdefault(failure.key, failure.error)
        return errors


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
    producer: AIOKafkaProducer,
    topic: str,
    batch: Sequence[Outgoing],
    timeout_s: float,
    probe: Collection[bytes | None] = (),
) -> PublishResult:
    """Send every row in order and wait for their acks (bounded by ``timeout_s``).

    For a key in ``probe`` only its first row is sent; its later rows are held back. Only this
    batch's own acks are awaited, never ``producer.flush()``: the producer is shared
    with the other source, whose slow topic must not hold this batch up. Raises
    ``TimeoutError`` if the broker does not answer in time (then nothing is reported acked, so
    nothing gets marked).
    """
    async with asyncio.timeout(timeout_s):
        pending: list[asyncio.Future[object] | BaseException] = []
        refused: set[bytes | None] = set()  # keys whose earlier row was refused or is a probe
        for item in batch:
            sent = _HELD_BACK if item.key in refused else await _send(producer, topic, item)
            if isinstance(sent, BaseException) or item.key in probe:
                refused.add(item.key)
            pending.append(sent)
        outcomes = [p if isinstance(p, BaseException) else await _outcome(p) for p in pending]
    result = PublishResult(
        sequence_gap=any(
            isinstance(outcome, BaseException) and not isinstance(sent, BaseException)
            for sent, outcome in zip(pending, outcomes, strict=True)
        )
    )
    blocked: set[bytes | None] = set()
    for item, outcome in zip(batch, outcomes, strict=True):
        if outcome is None and item.key not in blocked:
            result.acked.append(item.row_id)
            continue
        if item.key in blocked or outcome is None or outcome is _HELD_BACK:
            blocked.add(item.key)  # behind an earlier failure of its key, or behind a probe
            result.failed.append(Failure(item.row_id, item.key, _HELD_BACK, held_back=True))
            continue
        blocked.add(item.key)
        result.failed.append(Failure(item.row_id, item.key, outcome))
    return result


async def _outcome(future: asyncio.Future[object]) -> BaseException | None:
    try:
        await future
    except KafkaError as exc:
        error: BaseException = exc
        return error
    return None
