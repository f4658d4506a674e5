"""Catch-up in timestamp order: a partition that runs ahead of the others is paused.

The books do not depend on the order events arrive in (allocation is a function of the set of
events), but the work does. A backlog read one topic faster than another — the consumer
fetches every partition at its own pace, so after an outage or on a replay the shipping topic
can run a day of business ahead of purchasing — leaves usages unallocated until their receipts
arrive and makes every late receipt re-allocate a long tail of its item: per-event work grows
with the distance between the topics (measured: one service instance on a 300k-event backlog
read that way fell from about 1,400 to about 220 events/s; see docs/consumer-design.md).

So while catching up, the consumer reads the inbound partitions roughly in Kafka timestamp
order, as Kafka Streams does: after each batch, every assigned partition whose last record is
more than ``window_ms`` later than the earliest last record among the partitions still behind
their high watermark (by more than ``backlog`` records) is paused, and a paused one is resumed
when the others come within the window. A partition near its end does not hold anyone back,
so on a live stream (no partition ``backlog`` records behind) nothing is ever paused. Pausing
only delays reads: offsets, acks and the books are untouched, and a paused partition's
prefetched records are fetched again on resume.

A partition behind whose first record has not been read yet counts as the earliest of all
(the fetcher tends to drain one partition's buffer before the next, so without this a whole
topic could be read before another's first batch). A partition that stays behind without
delivering (a leader away) holds the others back for at most ``max_hold_s``; after that it no
longer counts until it delivers again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final, Protocol

import structlog
from aiokafka import TopicPartition

__all__ = ["BACKLOG", "MAX_HOLD_S", "UNREAD", "Mark", "PartitionAligner", "plan"]

UNREAD: Final = -(2**62)
"""The timestamp a partition behind counts with before its first record is read: the
earliest, so the others wait for it (at most ``max_hold_s``)."""
BACKLOG: Final = 100
"""Records left to read that make a partition *behind* (``PartitionAligner.backlog``)."""
MAX_HOLD_S: Final = 5.0
"""How long a partition behind that delivers nothing holds the others back."""

_log: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Mark:
    """A partition's last consumed record: its Kafka timestamp (ms) and when we read it."""

    timestamp_ms: int
    seen_at: float


def plan(
    marks: Mapping[TopicPartition, Mark],
    behind: Collection[TopicPartition],
    paused: Collection[TopicPartition],
    *,
    window_ms: int,
    now: float,
    max_hold_s: float,
) -> tuple[set[TopicPartition], set[TopicPartition]]:
    """(to pause, to resume) for partitions whose last records are ``marks``.

    ``behind``: the partitions with records left to read. The floor is the earliest mark
    among them that delivered within ``max_hold_s``; a partition later than floor +
    ``window_ms`` should be paused, every other one should run. With no floor, all run.
    """
    floors = [
        mark.timestamp_ms
        for tp in behind
        if (mark := marks.get(tp)) is not None and now - mark.seen_at <= max_hold_s
    ]
    if not floors:
        return set(), set(paused)
    limit = min(floors) + window_ms
    ahead = {tp for tp, mark in marks.items() if mark.timestamp_ms > limit}
    return ahead - set(paused), set(paused) - ahead


class AlignedConsumer(Protocol):
    """What :class:`PartitionAligner` uses of aiokafka's ``AIOKafkaConsumer``."""

    def assignment(self) -> set[TopicPartition]: ...
    def highwater(self, partition: TopicPartition) -> int | None: ...
    async def position(self, partition: TopicPartition) -> int: ...
    def paused(self) -> set[TopicPartition]: ...
    def pause(self, *partitions: TopicPartition) -> None: ...
    def resume(self, *partitions: TopicPartition) -> None: ...


class StampedRecord(Protocol):
    """The fields of a consumed record the aligner reads."""

    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def timestamp(self) -> int: ...


@dataclass
class PartitionAligner:
    """Keeps the partitions of one consumer within ``window_ms`` of each other while behind.

    ``consumer`` returns the live consumer (``None`` before it starts; see :meth:`attach`);
    ``window_ms == 0`` turns alignment off.
    """

    window_ms: int
    consumer: Callable[[], AlignedConsumer | None] = lambda: None
    backlog: int = BACKLOG
    """Records left to read that make a partition *behind*: on a live stream a partition is
    often a few records short of its end, and its last record read may be old (a quiet
    partition), so fewer than this never hold the others back."""
    max_hold_s: float = MAX_HOLD_S
    clock: Callable[[], float] = time.monotonic
    marks: dict[TopicPartition, Mark] = field(default_factory=dict)
    paused_by_us: set[TopicPartition] = field(default_factory=set)
    noticed: dict[TopicPartition, float] = field(default_factory=dict)
    """When each partition still behind without a record read was first seen so."""
    _turn: asyncio.Lock = field(default_factory=asyncio.Lock)

    def attach(self, consumer: Callable[[], AlignedConsumer | None]) -> None:
        """Pace the consumer ``consumer()`` returns (the subscriber's, once it started)."""
        self.consumer = consumer

    def seen(self, records: Iterable[StampedRecord]) -> None:
        """Note the last timestamp of each partition in a batch just applied."""
        now = self.clock()
        for record in records:
            self.marks[TopicPartition(record.topic, record.partition)] = Mark(record.timestamp, now)

    async def align(self) -> None:
        """Pause the partitions ahead, resume the others (after a batch, and now and then)."""
        async with self._turn:  # the handler and the timer: one at a time (paused_by_us)
            await self._align()

    async def _align(self) -> None:
        consumer = self.consumer()
        if consumer is None or self.window_ms <= 0:
            return
        assigned = consumer.assignment()
        for gone in [tp for tp in self.marks if tp not in assigned]:
            del self.marks[gone]  # revoked: its new owner paces it
        for gone in [tp for tp in self.noticed if tp not in assigned or tp in self.marks]:
            del self.noticed[gone]
        now = self.clock()
        paused = consumer.paused() & self.paused_by_us
        behind = set()
        for tp in assigned:
            end = consumer.highwater(tp)
            if end is None or tp in paused or end - await consumer.position(tp) > self.backlog:
                behind.add(tp)  # a paused partition was behind when paused, and still is
        # a partition behind that delivered nothing yet may hold the oldest records of all
        view = dict(self.marks)
        for tp in behind - view.keys():
            view[tp] = Mark(UNREAD, self.noticed.setdefault(tp, now))
        pause, resume = plan(
            view,
            behind,
            paused,
            window_ms=self.window_ms,
            now=now,
            max_hold_s=self.max_hold_s,
        )
        if pause:
            consumer.pause(*pause)
        if resume:
            consumer.resume(*resume)
        self.paused_by_us = (paused | pause) - resume

    async def align_quietly(self) -> None:
        """:meth:`align`, logging a failure: pacing is an optimisation, never a reason to fail."""
        try:
            await self.align()
        except Exception as exc:
            _log.warning("partition alignment failed", error=repr(exc))

    async def run(self, every_s: float = 1.0) -> None:
        """Align now and then, so a hold ends even when no batch comes (until cancelled)."""
        while True:
            await asyncio.sleep(every_s)
            await self.align_quietly()
