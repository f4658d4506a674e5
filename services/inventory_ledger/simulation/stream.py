"""The public generator: config in, Kafka records out, deterministically."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice

from .catalog import Catalog, build_catalog
from .chance import Chance
from .config import SimulatedMessage, SimulationConfig
from .documents import next_document, opening
from .engine import Context, run
from .faults import inject_faults
from .interleave import interleave

__all__ = ["catalog_of", "generate", "valid_events"]

_MEAN_GAP_S = 420.0
"""Mean business seconds between new documents during opening hours."""


def _rngs(seed: int) -> tuple[Chance, Chance, Chance]:
    """Independent streams so that e.g. changing the fault share leaves the business intact."""
    return Chance(seed), Chance(f"{seed}/delivery"), Chance(f"{seed}/faults")


def catalog_of(config: SimulationConfig) -> Catalog:
    """The master data a run with ``config`` uses (items, locations, vendors, customers)."""
    return build_catalog(_rngs(config.seed)[0], config.items, config.locations)


def generate(config: SimulationConfig) -> Iterator[SimulatedMessage]:
    """Exactly ``config.events`` records, the same ones (byte for byte) for the same config."""
    business, delivery, faults = _rngs(config.seed)
    catalog = build_catalog(business, config.items, config.locations)
    ctx = Context(business, catalog, config.topics, config.start)
    events = run(ctx, opening(ctx), next_document, _MEAN_GAP_S)
    valid = interleave(events, delivery, config.max_lag_s)
    duplicates = round(config.events * config.duplicates)
    malformed = round(config.events * config.malformed)
    if not duplicates and not malformed:
        return islice(valid, config.events)
    return inject_faults(valid, faults, config.events, duplicates, malformed)


def valid_events(messages: Iterable[SimulatedMessage]) -> Iterator[SimulatedMessage]:
    """The truth a ledger should end up with: valid events, each ``event_id`` once.

    Malformed records are dropped and a duplicate is dropped when its ``event_id`` was seen
    before, so the result is what a correct consumer applies, in delivery order.
    """
    seen: set[str] = set()
    for message in messages:
        if isinstance(message.value, bytes):
            continue
        event_id = message.value["event_id"]
        if event_id not in seen:
            seen.add(event_id)
            yield message
