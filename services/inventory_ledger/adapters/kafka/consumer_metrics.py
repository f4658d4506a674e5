"""Counting what each committed batch did into the service's Prometheus metrics."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from inventory_ledger.application.apply_batch import BatchResult, Inbound
from inventory_ledger.application.dead_letter import DeadLetter
from inventory_ledger.metrics import UNKNOWN_EVENT_TYPE, LedgerMetrics

__all__ = ["BatchCounter"]

_NOT_IN_BATCH = ("", UNKNOWN_EVENT_TYPE)
"""The labels of an event a batch applied or rejected that it did not consume: a parked
event it retried (its topic and type are in the dead letter of its first refusal)."""


class BatchCounter:
    """A ``BatchObserver``: consumed/applied/rejected by topic and type, size and duration."""

    def __init__(self, metrics: LedgerMetrics) -> None:
        self._m = metrics

    def __call__(
        self,
        inbound: Sequence[Inbound],
        letters: Sequence[DeadLetter],
        result: BatchResult,
        seconds: float,
    ) -> None:
        m = self._m
        labels = {item.event.event_id: (_topic(item), item.event.event_type) for item in inbound}
        consumed = Counter(_topic(item) for item in inbound)
        for item in inbound:
            m.events_consumed.labels(_topic(item), item.event.event_type).inc()
        for letter in letters:
            event_type = letter.event_type or UNKNOWN_EVENT_TYPE
            m.events_consumed.labels(letter.source.topic, event_type).inc()
            m.events_rejected.labels(letter.source.topic, event_type, letter.reason).inc()
        for event_id in result.applied:  # parked events a batch cured are not among its own
            m.events_applied.labels(*labels.get(event_id, _NOT_IN_BATCH)).inc()
        for rejection in result.rejected:
            topic, event_type = labels.get(rejection.event_id, _NOT_IN_BATCH)
            m.events_rejected.labels(topic, event_type, rejection.reason).inc()
        m.batch_size.observe(sum(consumed.values()) + len(letters))
        m.batch_seconds.observe(seconds)


def _topic(item: Inbound) -> str:
    return item.source.topic if item.source is not None else ""
