"""Same config, same bytes; another seed, another stream."""

from __future__ import annotations

import io
import uuid

import pytest

from inventory_ledger.simulation import SimulationConfig, generate
from inventory_ledger.simulation.chance import Chance
from inventory_ledger.simulation.engine import uuid4_from
from inventory_ledger.simulation.jsonl import write_jsonl

pytestmark = pytest.mark.unit


def _bytes(config: SimulationConfig) -> bytes:
    buffer = io.BytesIO()
    write_jsonl(generate(config), buffer)
    return buffer.getvalue()


def test_same_seed_gives_identical_bytes() -> None:
    config = SimulationConfig(events=5_000, seed=11, duplicates=0.05, malformed=0.05)
    assert _bytes(config) == _bytes(config)


def test_other_seed_gives_another_stream() -> None:
    one = _bytes(SimulationConfig(events=2_000, seed=1))
    two = _bytes(SimulationConfig(events=2_000, seed=2))
    assert one != two
    assert len(set(one.splitlines()) & set(two.splitlines())) == 0


@pytest.mark.parametrize(("items", "locations"), [(4, 1), (200, 5)])
def test_small_and_large_catalogs_work(items: int, locations: int) -> None:
    config = SimulationConfig(events=3_000, items=items, locations=locations, seed=5)
    assert _bytes(config) == _bytes(config)
    assert len(_bytes(config).splitlines()) == 3_000


def test_zero_events_is_an_empty_stream() -> None:
    assert list(generate(SimulationConfig(events=0))) == []


@pytest.mark.parametrize(
    "bad",
    [
        {"events": -1},
        {"items": 3},
        {"locations": 0},
        {"duplicates": 0.4, "malformed": 0.2},
        {"max_lag_s": -1.0},
    ],
)
def test_invalid_config_is_rejected(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="must be"):
        SimulationConfig(**bad)  # type: ignore[arg-type]


def test_event_ids_are_the_uuid4_of_the_seeded_draws() -> None:
    one, two = Chance(99), Chance(99)
    for _ in range(1_000):
        assert uuid4_from(one) == str(uuid.UUID(int=two.getrandbits(128), version=4))


def test_event_ids_are_unique_in_a_run() -> None:
    messages = list(generate(SimulationConfig(events=5_000, seed=12, locations=3)))
    ids = [m.value["event_id"] for m in messages if isinstance(m.value, dict)]
    assert len(set(ids)) == len(ids)
    assert all(str(uuid.UUID(i)) == i and uuid.UUID(i).version == 4 for i in ids)
