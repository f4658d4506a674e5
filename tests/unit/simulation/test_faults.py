"""Duplicates and malformed records: exact shares, exact copies, never valid."""

from __future__ import annotations

from collections import Counter
from itertools import islice

import pytest

from inventory_ledger.simulation import SimulatedMessage, SimulationConfig, generate, valid_events
from tests.unit.simulation.conftest import STREAM
from tests.unit.simulation.support import envelope

pytestmark = pytest.mark.unit


def test_fault_counts_are_the_requested_shares(stream: list[SimulatedMessage]) -> None:
    faults = Counter("duplicate" if m.fault == "duplicate" else m.is_valid for m in stream)
    assert len(stream) == STREAM.events
    assert faults["duplicate"] == round(STREAM.events * STREAM.duplicates)
    assert faults[False] == round(STREAM.events * STREAM.malformed)


@pytest.mark.parametrize(("duplicates", "malformed"), [(0.1, 0.0), (0.0, 0.25), (0.3, 0.2)])
def test_other_shares(duplicates: float, malformed: float) -> None:
    config = SimulationConfig(events=3_000, seed=3, duplicates=duplicates, malformed=malformed)
    messages = list(generate(config))
    assert len(messages) == 3_000
    assert sum(m.fault == "duplicate" for m in messages) == round(3_000 * duplicates)
    assert sum(not m.is_valid for m in messages) == round(3_000 * malformed)


def test_a_duplicate_repeats_an_earlier_record_exactly(stream: list[SimulatedMessage]) -> None:
    first: dict[str, SimulatedMessage] = {}
    for message in stream:
        if not message.is_valid:
            continue
        event_id = envelope(message)["event_id"]
        if message.fault == "duplicate":
            original = first[event_id]
            assert (original.topic, original.key, original.value) == (
                message.topic,
                message.key,
                message.value,
            )
        else:
            assert event_id not in first
            first[event_id] = message


def test_malformed_records_are_spread_over_the_stream(stream: list[SimulatedMessage]) -> None:
    positions = [i for i, m in enumerate(stream) if not m.is_valid]
    assert positions[0] < len(stream) // 10
    assert positions[-1] > len(stream) * 9 // 10


def test_valid_events_is_the_fault_free_stream(stream: list[SimulatedMessage]) -> None:
    truth = list(valid_events(stream))
    fresh = STREAM.events - round(STREAM.events * STREAM.duplicates)
    fresh -= round(STREAM.events * STREAM.malformed)
    clean = SimulationConfig(events=fresh, seed=STREAM.seed)
    expected = list(islice(generate(clean), fresh))
    assert [(m.topic, m.key, m.value) for m in truth] == [
        (m.topic, m.key, m.value) for m in expected
    ]
