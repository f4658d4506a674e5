"""Batches drawn from the prefetched partitions in about Kafka timestamp order.

aiokafka's ``getmany(max_records=n)`` drains the prefetched partitions greedily, in the
order their fetches came back: up to ``n`` records from the first partition, then the next
one. While catching up every partition has a fetch of up to ``max_partition_fetch_bytes``
(1 MiB, thousands of records) waiting, so a batch of 500 was 500 consecutive records of one
partition. With 30 inbound partitions those span about 30 x 500 records of the whole
stream: weeks of business on the benchmark's stream. The next batches bring the other
topics' records of those weeks, each of them backdated against the first, and the cost
books re-allocate every touched item's tail from its earliest touched point per batch
(``CostLedger.end_batch``): on the benchmark's catch-up order that re-allocation and the
re-costing it caused were a third of the service's CPU. The aligner (``alignment.py``)
keeps the partitions' *fetches* within a window of each other, but cannot split a fetch.

:func:`draw_in_time_order` makes a batch the merge of the prefetched partitions instead: it
takes a partition's records while they are no later than the last record taken from any
other (a partition not taken from yet first), so a batch is about the earliest records
prefetched. And it stops a batch short rather than run more than the aligner's window past a
partition whose next fetch is on its way (one with records left that has nothing prefetched
at the moment, after it delivered within the last seconds): a batch that ran on would leave
that partition's records behind, backdated, for the next. Each partition's records stay in
offset order and nothing else changes: the records a batch holds are still exactly those
whose positions it advanced, offsets are committed as before, and a live stream (little
prefetched) gets the same batches as without it. It touches private aiokafka names; if they
are not there (another aiokafka version), it changes nothing and says so in the log.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Collection, Mapping
from typing import Any

import structlog
from aiokafka.consumer import fetcher

from inventory_ledger.adapters.kafka.alignment import BACKLOG, MAX_HOLD_S, UNREAD

__all__ = ["draw_in_time_order"]

WINDOW_MS = 100
"""How far (Kafka time) a batch may run ahead of a partition whose next fetch is on its way;
partitions count as the aligner counts them (``BACKLOG`` records left, ``MAX_HOLD_S``)."""

_log: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(__name__)

_ORIGINAL: Any = getattr(getattr(fetcher, "Fetcher", None), "fetched_records", None)
"""aiokafka's own drain, kept as it was before the patch."""


def _marks(owner: Any) -> dict[Any, tuple[int, float]]:
    """The fetcher's partitions -> (timestamp of the last record taken, when it was taken)."""
    marks: dict[Any, tuple[int, float]] | None = getattr(owner, "_time_order_marks", None)
    if marks is None:
        marks = {}
        owner._time_order_marks = marks
    return marks


def _note(marks: dict[Any, tuple[int, float]], drained: Mapping[Any, list[Any]]) -> int:
    """Remember each partition's last timestamp taken; how many records ``drained`` holds."""
    count, now = 0, time.monotonic()
    for tp, records in drained.items():
        if records:
            marks[tp] = (records[-1].timestamp, now)
            count += len(records)
    return count


def _earliest_first(
    records: Any, marks: Mapping[Any, tuple[int, float]], result_type: type
) -> None:
    """Reorder the fetcher's prefetched partitions, earliest last-taken first.

    ``records`` is the fetcher's ordered dict (partition -> fetch result or fetch error);
    errors keep their place at the end, where a drain reaches them only with nothing taken.
    """
    ready = sorted(
        (tp for tp, result in records.items() if type(result) is result_type),
        key=lambda tp: marks.get(tp, (UNREAD, 0.0))[0],
    )
    for tp in reversed(ready):
        records.move_to_end(tp, last=False)


def _floor(owner: Any, records: Any, marks: Mapping[Any, tuple[int, float]]) -> int | None:
    """The earliest last-taken timestamp among the partitions being fetched again.

    Those are the assigned partitions, not paused, with nothing prefetched and at least
    ``BACKLOG`` records left, that delivered within ``MAX_HOLD_S``; their next records come after
    their mark, so a batch that runs far past it would hand them a backdated batch next.
    """
    subscription = owner._subscriptions.subscription
    assignment = None if subscription is None else subscription.assignment
    if assignment is None:
        return None
    floor, now = None, time.monotonic()
    for tp in assignment.tps:
        mark = marks.get(tp)
        if mark is None or tp in records or now - mark[1] > MAX_HOLD_S:
            continue
        state = assignment.state_value(tp)
        end = state.highwater
        if state.paused or end is None or not state.has_valid_position:
            continue
        if end - state.position > BACKLOG and (floor is None or mark[0] < floor):
            floor = mark[0]
    return floor


def _merge(
    owner: Any,
    partitions: Collection[Any],
    drained: dict[Any, list[Any]],
    left: int,
    result_type: type,
) -> None:
    """Add up to ``left`` records to ``drained``, the earliest of the prefetched partitions.

    Takes a partition's records one at a time while they are no later than the next
    partition's last one taken; stops when the earliest is more than ``WINDOW_MS`` past a
    partition being fetched again (:func:`_floor`), or nothing is left.
    """
    records, marks = owner._records, _marks(owner)
    floor = _floor(owner, records, marks)
    heap = [
        (marks.get(tp, (UNREAD, 0.0))[0], i, tp)
        for i, (tp, result) in enumerate(records.items())
        if type(result) is result_type and (not partitions or tp in partitions)
    ]
    heapq.heapify(heap)
    now = time.monotonic()
    while heap and left > 0:
        mark, i, tp = heapq.heappop(heap)
        if floor is not None and mark > floor + WINDOW_MS:
            break  # the rest waits for the partitions being fetched
        bound = heap[0][0] if heap else None
        result, taken = records[tp], drained.setdefault(tp, [])
        while left > 0:
            try:
                one = result.getall(1)
            except Exception:  # what was taken is returned; the error comes again
                _log.debug("stopped drawing a batch at a fetch error", exc_info=True)
                left = 0
                break
            if not one:  # spent (or dropped: paused, moved): fetch it again, as aiokafka does
                del records[tp]
                owner._notify(owner._wait_consume_future)
                floor = _floor(owner, records, marks)  # it may hold the rest back now
                break
            taken.append(one[0])
            left -= 1
            mark = one[0].timestamp
            if bound is not None and mark > bound:
                heapq.heappush(heap, (mark, i, tp))
                break
        if taken:
            marks[tp] = (mark, now)
        else:
            del drained[tp]


def draw_in_time_order(window_ms: int = WINDOW_MS) -> bool:
    """Patch aiokafka's fetcher to merge partitions into a batch (once); whether it applies.

    ``window_ms`` is the catch-up window (``INVENTORY_CATCHUP_WINDOW_MS``) for every consumer
    of the process from now on; 0 turns the merge off (aiokafka's own batches).
    """
    global WINDOW_MS  # noqa: PLW0603 - one setting for the one patch of the process
    WINDOW_MS = window_ms
    fetcher_type: Any = getattr(fetcher, "Fetcher", None)
    result_type = getattr(fetcher, "FetchResult", None)
    drain = _ORIGINAL
    if fetcher_type is None or drain is None or result_type is None:
        _log.warning("aiokafka internals changed: batches are drawn partition by partition")
        return False
    if getattr(fetcher_type.fetched_records, "_in_time_order", False):
        return True

    async def fetched_records(
        self: Any,
        partitions: Collection[Any],
        timeout: float = 0,  # noqa: ASYNC109 - aiokafka's signature
        max_records: int | None = None,
    ) -> dict[Any, list[Any]]:
        records, marks = getattr(self, "_records", None), _marks(self)
        if max_records is None or max_records <= 1 or records is None or WINDOW_MS <= 0:
            drained: dict[Any, list[Any]] = await drain(self, partitions, timeout, max_records)
            _note(marks, drained)
            return drained
        _earliest_first(records, marks, result_type)
        drained = await drain(self, partitions, timeout, 1)  # waits as getmany asked
        left = max_records - _note(marks, drained)
        if left > 0 and drained and not self._subscriptions.reassignment_in_progress:
            _merge(self, partitions, drained, left, result_type)
        return drained

    fetched_records._in_time_order = True  # type: ignore[attr-defined]
    fetcher_type.fetched_records = fetched_records
    return True
