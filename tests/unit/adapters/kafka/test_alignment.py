"""Which partitions the aligner pauses and resumes (pure decisions and a stand-in consumer)."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka import TopicPartition

from inventory_ledger.adapters.kafka.alignment import Mark, PartitionAligner, plan

pytestmark = pytest.mark.unit

A, B, C = (TopicPartition(t, 0) for t in ("purchasing", "shipping", "sales"))


def _plan(
    marks: dict[TopicPartition, Mark],
    behind: set[TopicPartition],
    paused: set[TopicPartition] = frozenset(),  # type: ignore[assignment]
    now: float = 10.0,
) -> tuple[set[TopicPartition], set[TopicPartition]]:
    return plan(marks, behind, paused, window_ms=1_000, now=now, max_hold_s=5.0)


def test_a_partition_ahead_of_the_window_is_paused_and_the_earliest_runs() -> None:
    marks = {A: Mark(0, 9.0), B: Mark(1_000, 9.0), C: Mark(1_001, 9.0)}
    assert _plan(marks, {A, B, C}) == ({C}, set())


def test_a_paused_partition_runs_again_once_the_others_come_near() -> None:
    marks = {A: Mark(500, 9.0), C: Mark(1_400, 9.0)}
    assert _plan(marks, {A, C}, paused={C}) == (set(), {C})


def test_a_partition_at_its_end_holds_nobody_back() -> None:
    marks = {A: Mark(0, 9.0), C: Mark(50_000, 9.0)}
    assert _plan(marks, {C}, paused={C}) == (set(), {C})
    assert _plan(marks, set(), paused={C}) == (set(), {C})


def test_a_partition_silent_longer_than_the_hold_no_longer_counts() -> None:
    marks = {A: Mark(0, 4.0), C: Mark(50_000, 9.0)}
    assert _plan(marks, {A, C}, paused={C}, now=9.5) == (set(), {C})
    assert _plan(marks, {A, C}, now=8.0) == ({C}, set())


class _Consumer:
    """The parts of AIOKafkaConsumer the aligner uses, over fixed ends and positions."""

    def __init__(self, ends: dict[TopicPartition, int | None], at: dict[TopicPartition, int]):
        self.ends, self.at = ends, at
        self.stopped: set[TopicPartition] = set()

    def assignment(self) -> set[TopicPartition]:
        return set(self.ends)

    def highwater(self, partition: TopicPartition) -> int | None:
        return self.ends[partition]

    async def position(self, partition: TopicPartition) -> int:
        return self.at[partition]

    def paused(self) -> set[TopicPartition]:
        return set(self.stopped)

    def pause(self, *partitions: TopicPartition) -> None:
        self.stopped.update(partitions)

    def resume(self, *partitions: TopicPartition) -> None:
        self.stopped.difference_update(partitions)


class _Record:
    def __init__(self, tp: TopicPartition, timestamp: int) -> None:
        self.topic, self.partition, self.timestamp = tp.topic, tp.partition, timestamp


async def test_partitions_not_read_yet_hold_the_others_until_they_deliver() -> None:
    consumer = _Consumer({A: 1_000, B: None, C: 0}, {A: 10, B: 0, C: 0})
    now = [0.0]
    aligner = PartitionAligner(1_000, clock=lambda: now[0])
    aligner.attach(lambda: consumer)
    aligner.seen([_Record(A, 5_000)])
    await aligner.align()
    assert consumer.stopped == {A}  # B is behind (end unknown) and unread; C is empty
    aligner.seen([_Record(B, 4_500)])
    consumer.ends[B], consumer.at[B] = 500, 5
    await aligner.align()
    assert consumer.stopped == set()
    now[0] = 1.0
    aligner.seen([_Record(A, 9_000)])
    await aligner.align()
    assert consumer.stopped == {A}
    now[0] = 7.0  # B delivered nothing for longer than the hold: A runs again
    await aligner.align()
    assert consumer.stopped == set()


async def _aligned(consumer: _Consumer, window_ms: int, *stamps: int) -> PartitionAligner:
    """An aligner of ``consumer`` that read A at ``stamps[0]`` and C at ``stamps[1]``."""
    aligner = PartitionAligner(window_ms)
    aligner.attach(lambda: consumer)
    aligner.seen([_Record(A, stamps[0]), _Record(C, stamps[1])])
    await aligner.align()
    return aligner


async def test_window_zero_touches_nothing_and_revoked_partitions_are_forgotten() -> None:
    consumer = _Consumer({A: 1_000, C: 1_000}, {A: 1, C: 1})
    await _aligned(consumer, 0, 0, 99_000)
    assert consumer.stopped == set()
    on = await _aligned(consumer, 1_000, 0, 99_000)
    assert consumer.stopped == {C}
    del consumer.ends[C], consumer.at[C]
    consumer.stopped.clear()  # a rebalance takes C away (its pause goes with it)
    await on.align()
    assert set(on.marks) == {A}
    assert on.paused_by_us == set()


async def test_on_a_live_stream_an_old_record_does_not_hold_anyone_back() -> None:
    """A quiet partition's last record read is old; a few new records there (fewer than the
    backlog) must not pause the busy partitions, or every quiet record would cost a re-fetch."""
    consumer = _Consumer({A: 12, C: 5_000}, {A: 10, C: 4_990})
    aligner = await _aligned(consumer, 1_000, 0, 600_000)
    assert consumer.stopped == set()
    consumer.ends[A] = 500  # a backlog on A: now it holds C back
    await aligner.align()
    assert consumer.stopped == {C}


async def test_the_timer_and_the_handler_align_one_at_a_time() -> None:
    """An align that read the paused partitions before another paused one must not finish
    after it and forget that pause: a partition the consumer holds paused but the aligner
    forgot would never be resumed."""
    consumer = _Consumer({A: 1_000, C: 1_000}, {A: 1, C: 1})
    gate, original, calls = asyncio.Event(), consumer.position, []

    async def position(partition: TopicPartition) -> int:
        calls.append(partition)
        if len(calls) == 1:
            await gate.wait()  # the first align stops here, after reading what is paused
        return await original(partition)

    consumer.position = position  # type: ignore[method-assign]
    aligner = PartitionAligner(1_000)
    aligner.attach(lambda: consumer)
    aligner.seen([_Record(A, 0), _Record(C, 99_000)])
    first = asyncio.create_task(aligner.align())
    await asyncio.sleep(0)
    second = asyncio.create_task(aligner.align())  # pauses C, unless it waits its turn
    for _ in range(5):
        await asyncio.sleep(0)
    aligner.seen([_Record(A, 98_500)])  # now C is near A again
    gate.set()
    await asyncio.gather(first, second)
    await aligner.align()
    assert consumer.stopped == set()
    assert aligner.paused_by_us == set()
