"""The process's collector settings."""

from __future__ import annotations

import gc

import pytest

from inventory_ledger.collector import YOUNG_THRESHOLD, tune_collector

pytestmark = pytest.mark.unit


def test_tune_collector_raises_only_the_young_threshold() -> None:
    before = gc.get_threshold()
    try:
        tune_collector()
        assert gc.get_threshold() == (YOUNG_THRESHOLD, before[1], before[2])
    finally:
        gc.set_threshold(*before)
