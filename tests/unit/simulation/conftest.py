"""Streams shared by the simulation tests (generated once per session; generation is pure)."""

from __future__ import annotations

import pytest

from inventory_ledger.simulation import SimulatedMessage, SimulationConfig, generate

STREAM = SimulationConfig(events=20_000, seed=7, duplicates=0.02, malformed=0.02)
"""The default-sized stream with faults, delivered with cross-topic lag."""

BUSINESS_ORDER = SimulationConfig(events=20_000, seed=7, max_lag_s=0)
"""The same business without lag or faults: delivery order is business-time order."""


@pytest.fixture(scope="session")
def stream() -> list[SimulatedMessage]:
    return list(generate(STREAM))


@pytest.fixture(scope="session")
def business_order() -> list[SimulatedMessage]:
    return list(generate(BUSINESS_ORDER))


@pytest.fixture(scope="session")
def valid(stream: list[SimulatedMessage]) -> list[SimulatedMessage]:
    """Valid first occurrences of ``stream``, in delivery order."""
    return [m for m in stream if m.fault is None]
