"""The public generator: config in, Kafka records out, deterministically.

Each location is a site with its own business (see :mod:`.engine`) and its own producers'
delivery lag (see :mod:`.interleave`); the sites' deliveries are merged by delivery time,
then faults are injected. Every random stream is derived from the seed alone.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator
from itertools import islice
from operator import itemgetter

from .catalog import Catalog, build_catalog
from .chance import Chance
from .config import SimulatedMessage, SimulationConfig
from .documents import next_document, opening
from .engine import Context, run
from .faults import inject_faults, malformed_message
from .interleave import Delivered, interleave

__all__ = ["catalog_of", "generate", "site_deliveries", "valid_events"]

_MEAN_GAP_S = 840.0
"""Mean business seconds between new documents of one site during opening hours."""

_by_arrival = itemgetter(0)
_message = itemgetter(1)


def catalog_of(config: SimulationConfig) -> Catalog:
    """The master data a run with ``config`` uses (items, locations, vendors, customers)."""
    return build_catalog(Chance(config.seed), config.items, config.locations)


def site_deliveries(config: SimulationConfig, catalog: Catalog, site: int) -> Iterator[Delivered]:
    """One site's records in its delivery order, with delivery times (an endless stream)."""
    business = Chance(f"{config.seed}/site/{site}")
    ctx = Context(business, catalog, config.topics, config.start, site)
    events = run(ctx, opening(ctx), next_document, _MEAN_GAP_S)
    return interleave(events, Chance(f"{config.seed}/delivery/{site}"), config.max_lag_s)


def merge_sites(sites: list[Iterator[Delivered]]) -> Iterator[Delivered]:
    """All sites' deliveries by delivery time (ties: lower site first), deterministically."""
    if len(sites) == 1:
        return sites[0]
    return heapq.merge(*sites, key=_by_arrival)


def fault_counts(config: SimulationConfig) -> tuple[int, int]:
    """(duplicates, malformed) records in a run of ``config``."""
    return round(config.events * config.duplicates), round(config.events * config.malformed)


def generate(config: SimulationConfig) -> Iterator[SimulatedMessage]:
    """Exactly ``config.events`` records, the same ones (byte for byte) for the same config."""
    catalog = catalog_of(config)
    sites = [site_deliveries(config, catalog, s) for s in range(len(catalog.locations))]
    valid = map(_message, merge_sites(sites))
    duplicates, malformed = fault_counts(config)
    if not duplicates and not malformed:
        return islice(valid, config.events)
    return inject_faults(
        valid,
        Chance(f"{config.seed}/faults"),
        config.events,
        duplicates,
        malformed,
        duplicate=_duplicate,
        malform=malformed_message,
    )


def _duplicate(message: SimulatedMessage) -> SimulatedMessage:
    return SimulatedMessage(message.topic, message.key, message.value, "duplicate")


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
