"""JSONL files: one record per line, malformed bytes base64-encoded, read back unchanged."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from inventory_ledger.simulation import SimulatedMessage, SimulationConfig, generate, parallel
from inventory_ledger.simulation.jsonl import read_jsonl, write_jsonl
from inventory_ledger.simulation.parallel import write_jsonl_parallel

pytestmark = pytest.mark.unit


def test_round_trip(tmp_path: Path) -> None:
    config = SimulationConfig(events=3_000, seed=4, duplicates=0.05, malformed=0.05)
    messages = list(generate(config))
    path = tmp_path / "events.jsonl"
    progress: list[int] = []
    assert write_jsonl(messages, path, progress.append) == 3_000
    assert sum(progress) == 3_000
    back = list(read_jsonl(path))
    assert [(m.topic, m.key, m.value) for m in back] == [
        (m.topic, m.key, m.value) for m in messages
    ]


def test_line_format(tmp_path: Path) -> None:
    messages = [
        SimulatedMessage("sales.v1", "SO-1", {"event_id": "e", "data": {"qty": "2.5"}}),
        SimulatedMessage("sales.v1", "SO-1", b"\xff not json", "not_utf8"),
    ]
    path = tmp_path / "two.jsonl"
    write_jsonl(messages, path)
    first, second = path.read_bytes().splitlines()
    assert orjson.loads(first) == {
        "topic": "sales.v1",
        "key": "SO-1",
        "value": {"event_id": "e", "data": {"qty": "2.5"}},
    }
    record = orjson.loads(second)
    assert set(record) == {"topic", "key", "value_b64"}
    assert base64.b64decode(record["value_b64"]) == b"\xff not json"


@pytest.mark.parametrize(
    "config",
    [
        SimulationConfig(events=4_000, locations=3, seed=8),
        SimulationConfig(events=4_000, locations=2, seed=9, duplicates=0.05, malformed=0.05),
        SimulationConfig(events=500, locations=1, seed=10, malformed=0.1),
    ],
)
def test_parallel_writer_writes_the_same_bytes(tmp_path: Path, config: SimulationConfig) -> None:
    serial, parallel = tmp_path / "serial.jsonl", tmp_path / "parallel.jsonl"
    write_jsonl(generate(config), serial)
    progress: list[int] = []
    assert write_jsonl_parallel(config, parallel, progress.append) == config.events
    assert sum(progress) == config.events
    assert parallel.read_bytes() == serial.read_bytes()


def test_parallel_writer_reports_a_dead_worker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_site(*args: object) -> Iterator[object]:
        raise SystemExit(3)

    monkeypatch.setattr(parallel, "site_deliveries", broken_site)
    config = SimulationConfig(events=1_000, locations=2)
    with pytest.raises(RuntimeError, match=r"simulate-site-\d stopped \(exit code 3\)"):
        write_jsonl_parallel(config, tmp_path / "never.jsonl")
