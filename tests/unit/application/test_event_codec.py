"""The cost log's event codec: every simulated event survives encode → decode unchanged."""

from __future__ import annotations

import orjson
import pytest
from hypothesis import given, settings

from inventory_ledger.adapters.contract_events import envelope_to_domain
from inventory_ledger.application.apply_batch import fingerprint
from inventory_ledger.application.event_codec import decode_event, encode_event
from inventory_ledger.domain.events import Event
from inventory_ledger.simulation import SimulationConfig, generate
from tests.unit.domain.cost.streams import streams

pytestmark = pytest.mark.unit


def test_every_simulated_event_round_trips() -> None:
    messages = generate(SimulationConfig(events=3_000, seed=5))
    events = [envelope_to_domain(m.value) for m in messages if not isinstance(m.value, bytes)]
    kinds = {event.event_type for event in events}
    assert len(kinds) >= 14, kinds
    for event in events:
        text = encode_event(event)
        assert decode_event(text) == event
        assert decode_event(text.encode()) == event


def test_decimals_are_exact_strings_and_none_is_omitted() -> None:
    messages = generate(SimulationConfig(events=200, seed=3))
    event = next(
        envelope_to_domain(m.value)
        for m in messages
        if not isinstance(m.value, bytes) and m.value["event_type"] == "shipment.received"
    )
    body = orjson.loads(encode_event(event))
    assert body["type"] == "shipment.received"
    line = body["lines"][0]
    assert isinstance(line["qty"], str)
    assert isinstance(line["item"], list)
    assert all(value is not None for value in line.values())


@settings(max_examples=200, deadline=None)
@given(streams(max_groups=10))
def test_cost_stream_events_round_trip(events: list[Event]) -> None:
    """Hand-built events too: empty tuples (a job without inputs), no PO, freight, kinds."""
    for event in events:
        assert decode_event(encode_event(event)) == event


def test_an_event_read_back_fingerprints_as_it_arrived() -> None:
    """The contract parser's tzinfo and the codec's differ; the fingerprint must not."""
    messages = generate(SimulationConfig(events=300, seed=9))
    for m in messages:
        if isinstance(m.value, bytes):
            continue
        event = envelope_to_domain(m.value)
        assert fingerprint(decode_event(encode_event(event))) == fingerprint(event)
