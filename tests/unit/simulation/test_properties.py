"""Properties over many small configs: exact counts, contract validity, determinism."""

from __future__ import annotations

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inventory_contracts import ContractError, message_key, parse_event
from inventory_ledger.simulation import SimulationConfig, generate

pytestmark = pytest.mark.unit

configs = st.builds(
    SimulationConfig,
    events=st.integers(min_value=0, max_value=400),
    items=st.integers(min_value=4, max_value=60),
    locations=st.integers(min_value=1, max_value=4),
    seed=st.integers(min_value=0, max_value=2**32),
    duplicates=st.sampled_from([0.0, 0.05, 0.2]),
    malformed=st.sampled_from([0.0, 0.05, 0.2]),
    max_lag_s=st.sampled_from([0.0, 3600.0, 6 * 3600.0]),
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(config=configs)
def test_any_config_gives_exactly_its_events_all_judged_right(config: SimulationConfig) -> None:
    messages = list(generate(config))
    assert len(messages) == config.events
    for message in messages:
        if isinstance(message.value, bytes):
            with pytest.raises(ContractError):
                parse_event(message.value)
        else:
            assert message_key(parse_event(orjson.dumps(message.value))) == message.key
    assert messages == list(generate(config))
