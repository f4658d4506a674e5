"""Small and large businesses produce contract-valid streams too."""

from __future__ import annotations

import orjson
import pytest

from inventory_contracts import message_key, parse_event
from inventory_ledger.simulation import SimulationConfig, generate

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "config",
    [
        SimulationConfig(events=4_000, items=4, locations=1, seed=1),
        SimulationConfig(events=4_000, items=300, locations=5, seed=2),
        SimulationConfig(events=4_000, seed=3, max_lag_s=0),
    ],
)
def test_valid_and_keyed_for_other_shapes(config: SimulationConfig) -> None:
    for message in generate(config):
        event = parse_event(orjson.dumps(message.value))
        assert message_key(event) == message.key
