"""Counting a committed batch: parked events it cured count too, and counting never fails it.

A batch that cures a parked event applies an event it did not consume. Counting it raised a
KeyError after the commit; the handler then failed, FastStream rewound the partitions and the
whole committed batch came again, as duplicates (about half of the deliveries of the service
benchmark's catch-up were such redeliveries).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from aiokafka.structs import ConsumerRecord
from prometheus_client import CollectorRegistry

from inventory_contracts.examples import INBOUND_EXAMPLES
from inventory_ledger.adapters.kafka import consumer
from inventory_ledger.adapters.kafka.consumer import Ingestor
from inventory_ledger.adapters.kafka.consumer_metrics import BatchCounter
from inventory_ledger.adapters.kafka.records import split_records
from inventory_ledger.application.apply_batch import BatchResult
from inventory_ledger.application.ingest import RetryPolicy
from inventory_ledger.metrics import UNKNOWN_EVENT_TYPE, LedgerMetrics

pytestmark = pytest.mark.unit

_TOPIC = "sales.v1"
_PARKED = "0b9e2f6c-parked-event-cured-by-this-batch"


def _records() -> list[ConsumerRecord]:
    value = json.dumps(INBOUND_EXAMPLES["order.opened"]).encode()
    return [ConsumerRecord(_TOPIC, 0, 7, 0, 0, b"SO-1", value, None, 0, len(value), [])]


def _applied(registry: CollectorRegistry, topic: str, event_type: str) -> float | None:
    return registry.get_sample_value(
        "inventory_ledger_events_applied_total", {"topic": topic, "event_type": event_type}
    )


def test_a_parked_event_the_batch_cured_is_counted_as_applied() -> None:
    registry = CollectorRegistry()
    inbound, letters = split_records(_records())
    own = inbound[0].event
    result = BatchResult(applied=(own.event_id, _PARKED))
    BatchCounter(LedgerMetrics.create(registry))(inbound, letters, result, 0.01)
    assert _applied(registry, _TOPIC, own.event_type) == 1
    assert _applied(registry, "", UNKNOWN_EVENT_TYPE) == 1


async def test_a_failing_observer_does_not_fail_a_committed_batch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def committed(*_: Any) -> BatchResult:
        return BatchResult(applied=(_PARKED,))

    def broken(*_: Any) -> None:
        raise KeyError(_PARKED)

    woken: list[dict[str, bool]] = []
    monkeypatch.setattr(consumer, "ingest", committed)
    ingestor = Ingestor(
        store=None,  # type: ignore[arg-type]  # ingest is replaced: no store is used
        retry=RetryPolicy(),
        on_commit=lambda **tables: woken.append(tables),
        observe=broken,
    )
    await ingestor.handle(_records())  # returns: the batch is acked, not delivered again
    assert woken == [{"outbox": False, "dead_letters": False}]
