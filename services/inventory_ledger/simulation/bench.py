"""Throughput of the simulator: ``python -m inventory_ledger.simulation.bench``.

Measures, in one run and for the same config: generation alone (records produced and
dropped), generation + JSONL write in this process, and the JSONL write the ``simulate``
command uses (one worker process per location, same bytes). Each is reported by wall clock
and by CPU time of this process (the parallel writer's CPU is in its workers, so only its wall
clock means something).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from .config import SimulationConfig
from .jsonl import write_jsonl
from .parallel import write_jsonl_parallel
from .stream import generate

__all__ = ["Rate", "main", "measure"]


class Rate(NamedTuple):
    """Events per second of one measured step."""

    label: str
    wall: float
    cpu: float


def _timed(label: str, events: int, work: Callable[[], object]) -> Rate:
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return Rate(label, events / wall, events / max(cpu, 1e-9))


def measure(config: SimulationConfig, directory: Path) -> list[Rate]:
    """Generation only, generation + write (serial), and the parallel write, in that order."""
    path = directory / "bench-events.jsonl"
    return [
        _timed("generate only", config.events, lambda: deque(generate(config), maxlen=0)),
        _timed(
            "generate + write JSONL", config.events, lambda: write_jsonl(generate(config), path)
        ),
        _timed(
            "simulate --out (parallel)", config.events, lambda: write_jsonl_parallel(config, path)
        ),
    ]


def main(argv: list[str] | None = None) -> None:
    """Print events/s of each step, best of ``--repeat`` runs."""
    parser = argparse.ArgumentParser(prog="python -m inventory_ledger.simulation.bench")
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--locations", type=int, default=2)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3, help="runs; the best is reported")
    args = parser.parse_args(argv)
    config = SimulationConfig(
        events=args.events, items=args.items, locations=args.locations, seed=args.seed
    )
    with tempfile.TemporaryDirectory() as tmp:
        runs = [measure(config, Path(tmp)) for _ in range(args.repeat)]
        size = (Path(tmp) / "bench-events.jsonl").stat().st_size
    print(
        f"events={config.events:,} items={config.items} locations={config.locations} "
        f"seed={config.seed}  best of {len(runs)} runs, {size / config.events:.0f} B/event"
    )
    print(f"{'':<28}{'wall clock':>14}{'CPU (this process)':>22}")
    for step in zip(*runs, strict=True):
        wall = max(rate.wall for rate in step)
        cpu = max(rate.cpu for rate in step)
        print(f"{step[0].label:<28}{wall:>12,.0f}/s{cpu:>20,.0f}/s")


if __name__ == "__main__":
    main()
