"""The cost tracker keeps its long-lived books out of the cyclic collector's passes."""

from __future__ import annotations

import gc
import weakref

import pytest

from inventory_ledger.application.cost_tracking import FULL_PASS_EVERY, CostTracker

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
    tracker = CostTracker()
    try:
        node = _Node()
        gone = weakref.ref(node)
        tracker.settle()  # the cycle is alive here, so it is frozen with everything else
        del node
        gc.collect()
        assert gone() is not None  # frozen: no pass sees it
        for _ in range(FULL_PASS_EVERY - 1):
            tracker.settle()
        assert gone() is None  # the periodic full pass found it
    finally:
        gc.unfreeze()
