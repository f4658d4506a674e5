"""The process's cyclic garbage collector settings: one place for the service and benchmarks.

A batch allocates many short-lived container objects (decoded events, postings, cost facts,
rows); with CPython's default young-generation threshold (700 allocations) the collector
runs a young pass every few events and an older pass every few dozen, and those passes
walk the batch's live objects each time. A larger young threshold makes the passes rarer at
the price of at most that many extra young objects held (a few MB). Measured with
``bench/apply_throughput.py`` in one run: client CPU per event with cost tracking
361 -> 276 µs, quantity only 105 -> 99 µs. The long-lived cost books are kept out of the
passes separately (``CostTracker.settle``).
"""

from __future__ import annotations

import gc

__all__ = ["YOUNG_THRESHOLD", "tune_collector"]

YOUNG_THRESHOLD = 50_000
"""Allocations (net of frees) of container objects between young-generation passes."""


def tune_collector() -> None:
    """Set the process's collector thresholds (call once, at process start)."""
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
