"""The ``simulate`` command, mounted on a local typer app (the real CLI registers it too)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from inventory_ledger.simulation import SimulationConfig, generate
from inventory_ledger.simulation.command import simulate
from inventory_ledger.simulation.jsonl import write_jsonl

pytestmark = pytest.mark.unit

app = typer.Typer()
app.command()(simulate)


@app.callback()
def _root() -> None:
    """Keep ``simulate`` a subcommand, as in the real CLI."""


@pytest.fixture(autouse=True)
def _default_topics(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PURCHASING", "SALES", "SHIPPING", "JOBS", "ADJUSTMENTS"):
        monkeypatch.delenv(f"INVENTORY_TOPIC_{name}", raising=False)


def _expected(**options: float) -> bytes:
    buffer = io.BytesIO()
    write_jsonl(generate(SimulationConfig(**options)), buffer)  # type: ignore[arg-type]
    return buffer.getvalue()


def test_writes_the_configured_stream_to_a_file(tmp_path: Path) -> None:
    out = tmp_path / "events.jsonl"
    args = ["simulate", "--events", "800", "--items", "12", "--locations", "3", "--seed", "9"]
    result = CliRunner().invoke(app, [*args, "--duplicates", "0.1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    expected = _expected(events=800, items=12, locations=3, seed=9, duplicates=0.1)
    assert out.read_bytes() == expected


def test_writes_to_stdout_without_a_target() -> None:
    result = CliRunner().invoke(app, ["simulate", "--events", "50", "--malformed", "0.1"])
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == _expected(events=50, malformed=0.1)


@pytest.mark.parametrize(
    "args",
    [["--events", "-1"], ["--items", "2"], ["--duplicates", "0.4", "--malformed", "0.4"]],
)
def test_rejects_bad_options(args: list[str]) -> None:
    result = CliRunner().invoke(app, ["simulate", *args])
    assert result.exit_code == 2


def test_uses_the_service_topic_names(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INVENTORY_TOPIC_SALES", "acme.sales.v1")
    out = tmp_path / "events.jsonl"
    result = CliRunner().invoke(app, ["simulate", "--events", "400", "--out", str(out)])
    assert result.exit_code == 0, result.output
    topics = {line.split(b'"')[3] for line in out.read_bytes().splitlines()}
    assert b"acme.sales.v1" in topics
    assert b"sales.v1" not in topics
