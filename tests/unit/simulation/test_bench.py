"""The benchmark command runs and reports every step."""

from __future__ import annotations

from pathlib import Path

import pytest

from inventory_ledger.simulation import SimulationConfig
from inventory_ledger.simulation.bench import main, measure

pytestmark = pytest.mark.unit


def test_measure_reports_three_positive_rates(tmp_path: Path) -> None:
    rates = measure(SimulationConfig(events=1_000), tmp_path)
    assert [r.label for r in rates] == [
        "generate only",
        "generate + write JSONL",
        "simulate --out (parallel)",
    ]
    assert all(r.wall > 0 and r.cpu > 0 for r in rates)


def test_main_prints_a_table(capsys: pytest.CaptureFixture[str]) -> None:
    main(["--events", "600", "--repeat", "1"])
    out = capsys.readouterr().out
    assert "events=600" in out
    assert "generate + write JSONL" in out
