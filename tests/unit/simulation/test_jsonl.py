"""JSONL files: one record per line, malformed bytes base64-encoded, read back unchanged."""

from __future__ import annotations

import base64
from pathlib import Path

import orjson
import pytest

from inventory_ledger.simulation import SimulatedMessage, SimulationConfig, generate
from inventory_ledger.simulation.jsonl import read_jsonl, write_jsonl

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
