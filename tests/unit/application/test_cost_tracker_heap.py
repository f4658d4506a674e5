"""The cost tracker: its long-lived books kept out of the collector's passes; serial checks."""

from __future__ import annotations

import gc
import weakref

import pytest

from inventory_ledger.adapters.contract_events import envelope_to_domain
from inventory_ledger.application.cost_tracking import (
    CostTracker,
    names_serials,
    serial_keys,
)
from inventory_ledger.simulation import SimulationConfig, generate, valid_events
from tests.unit.domain.cost.support import received

pytestmark = pytest.mark.unit


class _Node:
    """A cycle's member (only the cyclic collector can free it)."""

    def __init__(self) -> None:
        self.me = self


def test_settle_freezes_the_heap_and_invalidate_thaws_it() -> None:
    tracker = CostTracker()
    try:
        tracker.settle()
        assert gc.get_freeze_count() > 0
        tracker.invalidate()
        assert gc.get_freeze_count() == 0
    finally:
        gc.unfreeze()


def test_cyclic_garbage_frozen_beside_the_books_is_collected_by_the_periodic_full_pass() -> None:
    now = [0.0]
    tracker = CostTracker(full_pass_every_s=60.0, clock=lambda: now[0])
    try:
        node = _Node()
        gone = weakref.ref(node)
        tracker.settle()  # the cycle is alive here, so it is frozen with everything else
        del node
        gc.collect()
        now[0] = 59.0
        tracker.settle()
        assert gone() is not None  # frozen: no pass sees it
        now[0] = 60.0
        tracker.settle()
        assert gone() is None  # the periodic full pass found it
    finally:
        gc.unfreeze()


def test_names_serials_agrees_with_serial_keys_on_a_simulated_stream() -> None:
    config = SimulationConfig(events=3000, seed=11, items=10)
    events = [
        envelope_to_domain(m.value)
        for m in valid_events(generate(config))
        if not isinstance(m.value, bytes)
    ]
    flags = [names_serials(e) for e in events]
    assert flags == [bool(serial_keys(e)) for e in events]
    assert any(flags)
    assert not all(flags)


def test_settle_forgets_the_processed_ids_the_database_guards() -> None:
    tracker = CostTracker()
    tracker.ledger.begin_batch()
    tracker.ledger.apply(received("r1", 1, "A", 2, unit_cost=5))
    tracker.ledger.end_batch()
    assert tracker.ledger.processed == {"r1"}
    tracker.settle()
    assert tracker.ledger.processed == set()
