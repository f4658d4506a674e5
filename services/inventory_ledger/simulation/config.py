"""What a simulation run is asked for, and what it yields.

``SimulationConfig`` is the whole input of :func:`~.stream.generate`: the same config always
yields the same messages, byte for byte (the seed drives one ``random.Random``; no clock, no
``uuid4``). ``SimulatedMessage`` is one Kafka record: topic, key and either the envelope
(a JSON object) or, for a deliberately malformed message, the raw bytes to put on the wire.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

__all__ = [
    "Envelope",
    "Fault",
    "SimulatedMessage",
    "SimulationConfig",
    "TopicNames",
]

Envelope = dict[str, Any]
"""An inbound event as a JSON object: event_id, event_type, schema_version, occurred_at, data."""

Fault = Literal[
    "duplicate",
    "not_json",
    "not_utf8",
    "schema",
    "unknown_event_type",
    "unsupported_schema_version",
]
"""Why a message is not a fresh valid event (``None`` on a ``SimulatedMessage`` when it is).

The malformed kinds are named like the contract's rejection reasons (``ContractError.reason``).
"""


@dataclass(frozen=True, slots=True)
class TopicNames:
    """Inbound topic names; defaults from contracts.md, every one overridable."""

    purchasing: str = "purchasing.v1"
    sales: str = "sales.v1"
    shipping: str = "shipping.v1"
    jobs: str = "jobs.v1"
    adjustments: str = "adjustments.v1"

    def all(self) -> tuple[str, ...]:
        """The five inbound topics, in contracts.md order."""
        return (self.purchasing, self.sales, self.shipping, self.jobs, self.adjustments)


@dataclass(frozen=True, slots=True)
class SimulationConfig:
    """One simulation run.

    ``events`` counts every message emitted, faults included: with ``duplicates=0.02`` and
    ``malformed=0.01`` a 10 000-event run has exactly 200 duplicates and 100 malformed
    messages (rounded), the rest fresh valid events. ``max_lag_s`` is the longest outage of
    a topic, whose records are then delivered late in a burst; 0 gives a stream in
    business-time order.
    """

    events: int = 10_000
    items: int = 50
    locations: int = 2
    seed: int = 7
    duplicates: float = 0.0
    malformed: float = 0.0
    topics: TopicNames = field(default_factory=TopicNames)
    start: datetime = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    max_lag_s: float = 6 * 3600.0

    def __post_init__(self) -> None:
        if self.events < 0:
            raise ValueError("events must be >= 0")
        if self.items < 4:
            raise ValueError("items must be >= 4 (components, kits, serialized, lot-tracked)")
        if not 1 <= self.locations <= 26:
            raise ValueError("locations must be between 1 and 26")
        if self.duplicates < 0 or self.malformed < 0 or self.duplicates + self.malformed > 0.5:
            raise ValueError("duplicates + malformed must be shares summing to at most 0.5")
        if self.start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        if self.max_lag_s < 0:
            raise ValueError("max_lag_s must be >= 0")


@dataclass(frozen=True, slots=True)
class SimulatedMessage:
    """One record to publish: ``value`` is the envelope, or raw bytes for a malformed one.

    ``fault`` says what the simulator did on purpose (``None`` for a fresh valid event); it
    is metadata for tests and is not part of the record on the wire.
    """

    topic: str
    key: str
    value: Envelope | bytes
    fault: Fault | None = None

    @property
    def is_valid(self) -> bool:
        """True for a well-formed event (fresh or an exact duplicate)."""
        return not isinstance(self.value, bytes)
