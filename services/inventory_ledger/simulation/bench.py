"""Throughput of the simulator: ``python -m inventory_ledger.simulation.bench``.

Measures, in one run and for the same config, events per second of generation alone
(records produced and dropped) and of generation plus writing JSONL to a file.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import deque
from pathlib import Path
from typing import NamedTuple

from .config import SimulationConfig
from .jsonl import write_jsonl
from .stream import generate

__all__ = ["Rates", "main", "measure"]


class Rates(NamedTuple):
    """Events per second of one benchmark run, by wall clock and by this process's CPU time.

    CPU time is what the simulator itself costs; wall time also counts other processes
    competing for the CPU (a busy CI machine), so both are reported.
    """

    generate_wall: float
    generate_cpu: float
    write_wall: float
    write_cpu: float
    bytes_written: int


def measure(config: SimulationConfig, directory: Path) -> Rates:
    """Generation only, then generation + JSONL write, of the same config."""
    wall, cpu = time.perf_counter(), time.process_time()
    deque(generate(config), maxlen=0)
    gen_wall, gen_cpu = time.perf_counter() - wall, time.process_time() - cpu
    path = directory / "bench-events.jsonl"
    wall, cpu = time.perf_counter(), time.process_time()
    write_jsonl(generate(config), path)
    write_wall, write_cpu = time.perf_counter() - wall, time.process_time() - cpu
    n = config.events
    return Rates(n / gen_wall, n / gen_cpu, n / write_wall, n / write_cpu, path.stat().st_size)


def main(argv: list[str] | None = None) -> None:
    """Print events/s for generation only and for generation + JSONL write."""
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
    size = runs[-1].bytes_written
    print(
        f"events={config.events} items={config.items} locations={config.locations} "
        f"seed={config.seed} runs={len(runs)} (best of runs; {size / config.events:.0f} B/event)"
    )
    print("                         wall clock      CPU time")
    for label, wall_rate, cpu_rate in (
        ("generate only", max(r.generate_wall for r in runs), max(r.generate_cpu for r in runs)),
        ("generate + write JSONL", max(r.write_wall for r in runs), max(r.write_cpu for r in runs)),
    ):
        print(f"{label:<22} {wall_rate:>10,.0f}/s {cpu_rate:>11,.0f}/s")


if __name__ == "__main__":
    main()
