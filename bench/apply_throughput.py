"""Events/s of ``apply_batch`` on real Postgres at several batch sizes, on the same events.

    python -m bench.apply_throughput [--events 5000] [--sizes 1,100,1000] [--repeat 3]
                                     [--cost-sizes 100,1000]

Each batch size gets a fresh migrated database and the same simulated events; the sizes take
turns, ``--repeat`` rounds, and each size's best round is reported with its ratio to batch size
1's best (all in the same run: these machines are noisy, and other work only ever slows a round).
``--cost-sizes`` also runs those sizes with cost tracking on (lots, usage, allocations, COGS:
issue 6) and reports their rate as a share of the quantity-only rate at the same size.
Beside the rate, this process's CPU time per event (the client's side of the work: posting,
encoding, decoding; the server's is not in it) is less sensitive to other work on the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import time

import asyncpg

from bench.support import domain_events, fresh_database, owner_dsn
from inventory_ledger.adapters.postgres.connection import pool_options
from inventory_ledger.adapters.postgres.ledger_reads import reconcile_balances
from inventory_ledger.adapters.postgres.store import PostgresLedgerStore
from inventory_ledger.application.apply_batch import Inbound, apply_batch
from inventory_ledger.application.cost_tracking import CostTracker
from inventory_ledger.collector import tune_collector
from inventory_ledger.domain.events import Event
from inventory_ledger.simulation import SimulationConfig


async def _measure(
    admin: str, events: list[Event], size: int, costs: bool = False
) -> tuple[float, float, bool]:
    """Events/s, client CPU seconds per event, and whether the books reconcile."""
    async with fresh_database(admin, "ledger_app_bench") as dsn:
        pool = await asyncpg.create_pool(dsn, min_size=1, max_size=2, **pool_options())
        try:
            store, tracker = PostgresLedgerStore(pool), CostTracker() if costs else None
            batches = [
                [Inbound(e) for e in events[i : i + size]] for i in range(0, len(events), size)
            ]
            started, cpu = time.perf_counter(), time.process_time()
            for batch in batches:
                await apply_batch(store, batch, costs=tracker)
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
            async with pool.acquire() as conn:
                ok = (await reconcile_balances(conn)).ok
        finally:
            await pool.close()
    return len(events) / elapsed, cpu / len(events), ok


async def _main(args: argparse.Namespace) -> None:
    tune_collector()  # the collector settings of the service process (`inventory-ledger run`)
    config = SimulationConfig(events=args.events, seed=args.seed, items=args.items)
    started = time.perf_counter()
    events = domain_events(config)
    print(
        f"{len(events)} valid events (seed {args.seed}) generated, parsed and translated "
        f"in {time.perf_counter() - started:.1f}s"
    )
    admin = owner_dsn()
    best: dict[int, float] = {}
    cpu: dict[int, float] = {}
    all_ok = True
    costed: dict[int, float] = {}
    for round_no in range(1, args.repeat + 1):
        for size in args.cost_sizes:
            rate, cpu_per_event, ok = await _measure(admin, events, size, costs=True)
            costed[size] = max(costed.get(size, 0.0), rate)
            all_ok = all_ok and ok
            print(
                f"round {round_no}: batch {size:>5} {rate:>8.0f} events/s with cost tracking"
                f" {cpu_per_event * 1e6:>6.0f} µs client CPU/event",
                flush=True,
            )
        for size in args.sizes:
            rate, cpu_per_event, ok = await _measure(admin, events, size)
            best[size] = max(best.get(size, 0.0), rate)
            cpu[size] = min(cpu.get(size, cpu_per_event), cpu_per_event)
            all_ok = all_ok and ok
            print(
                f"round {round_no}: batch {size:>5} {rate:>8.0f} events/s"
                f" {cpu_per_event * 1e6:>6.0f} µs client CPU/event",
                flush=True,
            )
    base = best[min(best)]
    print(f"{'batch':>6} {'best events/s':>14} {'vs batch 1':>10} {'client CPU/event':>17}")
    for size in args.sizes:
        ratio, micros = best[size] / base, cpu[size] * 1e6
        print(f"{size:>6} {best[size]:>14.0f} {ratio:>9.1f}x {micros:>14.0f} µs")
    for size in args.cost_sizes:
        share = costed[size] / best[size] if size in best else float("nan")
        print(
            f"batch {size:>5} with cost tracking: {costed[size]:.0f} events/s ="
            f" {share:.2f}x the quantity-only rate (target >= 0.5x)"
        )
    print(f"reconciliation after every round: {'ok' if all_ok else 'MISMATCH'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--sizes", type=lambda s: [int(x) for x in s.split(",")], default=[1, 100, 1000]
    )
    parser.add_argument(
        "--cost-sizes", type=lambda s: [int(x) for x in s.split(",") if x], default=[100, 1000]
    )
    asyncio.run(_main(parser.parse_args()))


if __name__ == "__main__":
    main()
