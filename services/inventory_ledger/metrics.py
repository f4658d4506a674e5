"""The service's Prometheus metrics, made once per process and handed to whoever updates them.

Nothing is registered at import time: :class:`LedgerMetrics` registers its collectors in the
registry it is given (a fresh ``CollectorRegistry`` in tests, the default one in the service),
so two instances never collide. The consumer counts events and times batches, the lag reporter
sets the lag gauge, the outbox relay sets the backlog; ``GET /metrics`` exposes the registry.

Label values are bounded: topics and event types come from the contracts, reasons are the
dead-letter reason codes; an event whose type could not be read is counted as ``unknown``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram

__all__ = ["BATCH_SECONDS_BUCKETS", "BATCH_SIZE_BUCKETS", "UNKNOWN_EVENT_TYPE", "LedgerMetrics"]

UNKNOWN_EVENT_TYPE: Final = "unknown"
"""The ``event_type`` label of a message whose type could not be read."""

BATCH_SIZE_BUCKETS: Final = (1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000)
"""Records per batch (the configurable maximum is 10 000)."""

BATCH_SECONDS_BUCKETS: Final = (
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
    60.0,
)
"""Seconds from a batch's arrival to its DB commit."""

_NAMESPACE: Final = "inventory_ledger"


@dataclass(frozen=True, slots=True)
class LedgerMetrics:
    """Every metric of the service, registered in one registry."""

    registry: CollectorRegistry
    events_consumed: Counter
    """Messages taken from an inbound topic (before parsing), by ``topic`` and ``event_type``."""
    events_applied: Counter
    """Events applied to the ledger (committed, not duplicates), by ``topic`` and ``event_type``."""
    events_rejected: Counter
    """Messages dead-lettered, by ``topic``, ``event_type`` and ``reason``."""
    batch_size: Histogram
    """Records per applied batch."""
    batch_seconds: Histogram
    """Wall time of one batch: parse, apply, commit."""
    consumer_lag: Gauge
    """Records behind the end of each partition (``topic``, ``partition``) for the group."""
    outbox_backlog: Gauge
    """balance_changed rows committed but not yet acknowledged by the broker."""

    @classmethod
    def create(cls, registry: CollectorRegistry | None = None) -> LedgerMetrics:
        """Make and register the metrics in ``registry`` (default: the process-wide one)."""
        reg = REGISTRY if registry is None else registry
        by_event = ("topic", "event_type")
        return cls(
            registry=reg,
            events_consumed=Counter(
                "events_consumed",
                "Messages consumed from the inbound topics.",
                by_event,
                namespace=_NAMESPACE,
                registry=reg,
            ),
            events_applied=Counter(
                "events_applied",
                "Events applied to the ledger (duplicates excluded).",
                by_event,
                namespace=_NAMESPACE,
                registry=reg,
            ),
            events_rejected=Counter(
                "events_rejected",
                "Messages sent to the dead-letter path.",
                (*by_event, "reason"),
                namespace=_NAMESPACE,
                registry=reg,
            ),
            batch_size=Histogram(
                "batch_records",
                "Records per consumed batch.",
                namespace=_NAMESPACE,
                buckets=BATCH_SIZE_BUCKETS,
                registry=reg,
            ),
            batch_seconds=Histogram(
                "batch_duration_seconds",
                "Seconds to parse, apply and commit one batch.",
                namespace=_NAMESPACE,
                buckets=BATCH_SECONDS_BUCKETS,
                registry=reg,
            ),
            consumer_lag=Gauge(
                "consumer_lag_records",
                "Records between the group's position and the end of the partition.",
                ("topic", "partition"),
                namespace=_NAMESPACE,
                registry=reg,
            ),
            outbox_backlog=Gauge(
                "outbox_backlog_rows",
                "Outbox rows not yet published to the balance_changed topic.",
                namespace=_NAMESPACE,
                registry=reg,
            ),
        )
