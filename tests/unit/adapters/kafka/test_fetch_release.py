"""Records aiokafka drops (a paused partition's prefetch) are freed at once, not by the GC."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from aiokafka import TopicPartition
from aiokafka.consumer.fetcher import FetchResult, PartitionRecords
from aiokafka.record.memory_records import MemoryRecords

from inventory_ledger.adapters.kafka.fetch_release import release_dropped_fetches
from tests.unit.adapters.kafka.record_batches import record_batch

pytestmark = pytest.mark.unit

TP = TopicPartition("inventory.shipping.v1", 0)
READ_UNCOMMITTED = 0


@dataclass
class _State:
    paused: bool
    position: int = 0

    def consumed_to(self, offset: int) -> None:
        self.position = offset


@dataclass
class _Assignment:
    """The consumer's assignment as a fetch result reads it: the partition is paused."""

    state: _State
    active: bool = True

    def state_value(self, tp: TopicPartition) -> _State:
        return self.state


def _response(records: int = 3) -> bytes:
    return record_batch([None] * records, value=b"v" * 1000)


def _partly_read() -> PartitionRecords:
    """Prefetched records of which one was returned: the iterator is suspended mid-batch."""
    records = PartitionRecords(
        TP, MemoryRecords(_response()), [], 0, None, None, True, READ_UNCOMMITTED
    )
    next(records)
    return records


@pytest.fixture
def no_collector() -> Iterator[None]:
    """Only reference counting frees objects during the test."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _prefetched(*, paused: bool) -> tuple[Any, weakref.ref[PartitionRecords]]:
    """A fetch result holding partly read records (the patch applied), and a weak reference
    to those records; the fetch result is the only strong one."""
    assert release_dropped_fetches()
    records = _partly_read()
    result = FetchResult(
        TP, assignment=_Assignment(_State(paused=paused)), partition_records=records, backoff=0
    )
    return result, weakref.ref(records)


@pytest.mark.usefixtures("no_collector")
def test_records_dropped_on_pause_are_freed_without_the_collector() -> None:
    result, gone = _prefetched(paused=True)
    assert result.check_assignment(TP) is False  # paused: aiokafka drops the records
    assert gone() is None


@pytest.mark.usefixtures("no_collector")
def test_records_of_a_deleted_fetch_result_are_freed_without_the_collector() -> None:
    result, gone = _prefetched(paused=False)
    del result  # a revoked partition: aiokafka deletes its fetch result
    assert gone() is None


@pytest.mark.usefixtures("no_collector")
def test_partly_read_records_are_a_reference_cycle_by_themselves() -> None:
    """Why the patch is needed: without it only the collector frees such records."""
    records = _partly_read()
    gone = weakref.ref(records)
    del records
    assert gone() is not None
    gc.collect()
    assert gone() is None


def test_a_fetch_result_still_returns_its_records_when_not_paused() -> None:
    assert release_dropped_fetches()
    records = _partly_read()
    result = FetchResult(
        TP, assignment=_Assignment(_State(paused=False, position=1)), partition_records=records,
        backoff=0,
    )  # fmt: skip
    assert [r.offset for r in result.getall()] == [1, 2]


def test_patching_twice_patches_once() -> None:
    assert release_dropped_fetches()
    check = FetchResult.check_assignment
    assert release_dropped_fetches()
    assert FetchResult.check_assignment is check
