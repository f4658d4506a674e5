"""A batch merges the prefetched partitions in timestamp order, losing and repeating nothing.

Runs aiokafka's own ``Fetcher.fetched_records`` (patched) over real fetch results.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiokafka import TopicPartition
from aiokafka.consumer.fetcher import Fetcher, FetchError, FetchResult, PartitionRecords
from aiokafka.errors import KafkaError
from aiokafka.record.memory_records import MemoryRecords

from inventory_ledger.adapters.kafka import time_order
from inventory_ledger.adapters.kafka.time_order import draw_in_time_order
from tests.unit.adapters.kafka.record_batches import record_batch

pytestmark = pytest.mark.unit

READ_UNCOMMITTED = 0
PARTITIONS = 3
RECORDS = 30


@dataclass
class _State:
    paused: bool = False
    position: int = 0
    highwater: int | None = None
    has_valid_position: bool = True

    def consumed_to(self, offset: int) -> None:
        self.position = offset


@dataclass
class _Assignment:
    states: dict[TopicPartition, _State] = field(default_factory=dict)
    active: bool = True

    @property
    def tps(self) -> set[TopicPartition]:
        return set(self.states)

    def state_value(self, tp: TopicPartition) -> _State:
        return self.states.setdefault(tp, _State())


@dataclass
class _Subscription:
    assignment: _Assignment


@dataclass
class _Subscriptions:
    subscription: _Subscription | None = None
    reassignment_in_progress: bool = False

    def is_assigned(self, tp: TopicPartition) -> bool:
        return True


class _Fetcher:
    """The parts of aiokafka's fetcher that ``fetched_records`` reads, with prefetches."""

    def __init__(
        self, prefetched: dict[TopicPartition, Any], assignment: _Assignment | None = None
    ) -> None:
        self._records: OrderedDict[TopicPartition, Any] = OrderedDict(prefetched)
        self._subscriptions = _Subscriptions(
            None if assignment is None else _Subscription(assignment)
        )
        self._wait_consume_future = None
        self._closed = False

    def _notify(self, future: object) -> None:
        pass

    async def getmany(self, max_records: int) -> dict[TopicPartition, list[Any]]:
        drained: dict[TopicPartition, list[Any]] = await Fetcher.fetched_records(
            self, set(), 0, max_records
        )
        return drained


def _records(tp: TopicPartition, timestamps: list[int]) -> PartitionRecords:
    return PartitionRecords(
        tp, MemoryRecords(record_batch(timestamps)), [], 0, None, None, True, READ_UNCOMMITTED
    )


def _interleaved(assignment: _Assignment) -> dict[TopicPartition, Any]:
    """Partition p holds timestamps p, p + 3, p + 6, ...: the stream was written in turn."""
    return {
        (tp := TopicPartition("t", p)): FetchResult(
            tp,
            assignment=assignment,
            partition_records=_records(tp, [1000 + p + PARTITIONS * i for i in range(RECORDS)]),
            backoff=0,
        )
        for p in range(PARTITIONS)
    }


@pytest.fixture
def patched(monkeypatch: pytest.MonkeyPatch) -> None:
    """The merge on (a broker built by another test may have set another window)."""
    assert draw_in_time_order()
    monkeypatch.setattr(time_order, "WINDOW_MS", 100)


def _span(batch: dict[TopicPartition, list[Any]]) -> int:
    stamps = [r.timestamp for records in batch.values() for r in records]
    return max(stamps) - min(stamps)


@pytest.mark.usefixtures("patched")
async def test_a_batch_takes_from_every_partition_in_turn() -> None:
    fetcher = _Fetcher(_interleaved(_Assignment()))
    batch = await fetcher.getmany(12)
    assert {tp.partition: [r.offset for r in rs] for tp, rs in batch.items()} == {
        0: [0, 1, 2, 3],
        1: [0, 1, 2, 3],
        2: [0, 1, 2, 3],
    }
    assert _span(batch) == 11  # the 12 earliest records of the stream


@pytest.mark.usefixtures("patched")
async def test_batches_deliver_every_record_once_in_offset_order() -> None:
    assignment = _Assignment()
    fetcher = _Fetcher(_interleaved(assignment))
    seen: dict[int, list[int]] = {p: [] for p in range(PARTITIONS)}
    spans = []
    while batch := await fetcher.getmany(12):
        spans.append(_span(batch))
        for tp, records in batch.items():
            seen[tp.partition].extend(r.offset for r in records)
    assert seen == {p: list(range(RECORDS)) for p in range(PARTITIONS)}
    assert max(spans) == 11  # each batch: the next 12 records of the stream
    assert all(state.position == RECORDS for state in assignment.states.values())


@pytest.mark.usefixtures("patched")
async def test_a_batch_does_not_run_ahead_of_a_partition_being_fetched(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Partition 3 delivered up to 1003 and has more on the way: the batch stops near it."""
    monkeypatch.setattr(time_order, "WINDOW_MS", 5)
    assignment = _Assignment()
    fetched = TopicPartition("t", 3)
    assignment.states[fetched] = _State(position=1, highwater=500)
    fetcher = _Fetcher(_interleaved(assignment), assignment)
    time_order._marks(fetcher)[fetched] = (1003, time.monotonic())
    batch = await fetcher.getmany(30)
    stamps = sorted(r.timestamp for rs in batch.values() for r in rs)
    assert stamps == list(range(1000, len(stamps) + 1000))  # the earliest, none skipped
    assert 1008 <= stamps[-1] <= 1008 + PARTITIONS  # stops once past 1003 + 5
    assignment.states[fetched].highwater = 50  # nearly done: it no longer holds anyone back
    batch = await fetcher.getmany(30)
    assert sum(len(rs) for rs in batch.values()) == 30


async def test_without_the_patch_a_batch_is_one_partition() -> None:
    """Why the patch exists: aiokafka drains the first prefetched partition first."""
    fetcher = _Fetcher(_interleaved(_Assignment()))
    batch = await time_order._ORIGINAL(fetcher, set(), 0, 12)
    assert [tp.partition for tp in batch] == [0]
    assert _span(batch) == 33


@pytest.mark.usefixtures("patched")
async def test_records_taken_before_a_fetch_error_are_returned_and_the_error_comes_next() -> None:
    assignment = _Assignment()
    prefetched = _interleaved(assignment)
    broken = TopicPartition("t", 9)
    prefetched[broken] = FetchError(error=KafkaError("broker said no"), backoff=0)
    fetcher = _Fetcher(prefetched)
    taken = 0
    with pytest.raises(KafkaError, match="broker said no"):
        while True:
            batch = await fetcher.getmany(12)
            taken += sum(len(rs) for rs in batch.values())
    assert taken == PARTITIONS * RECORDS


def test_patching_twice_patches_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(time_order, "WINDOW_MS", time_order.WINDOW_MS)  # restored after
    assert draw_in_time_order()
    patched = Fetcher.fetched_records
    assert draw_in_time_order()
    assert Fetcher.fetched_records is patched


@pytest.mark.usefixtures("patched")
async def test_a_zero_window_gives_aiokafkas_own_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(time_order, "WINDOW_MS", 0)
    fetcher = _Fetcher(_interleaved(_Assignment()))
    batch = await fetcher.getmany(12)
    assert {tp.partition: len(rs) for tp, rs in batch.items()} == {0: 12}
