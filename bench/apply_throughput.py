"""Events/s of ``apply_batch`` on real Postgres at several batch sizes, on the same events.

    python -m bench.apply_throughput [--events 5000] [--sizes 1,100,1000] [--seed 7]

Each batch size gets a fresh migrated database and the same simulated events; figures are
reported with their ratio to batch size 1 (measured in the same run: these machines are noisy).
"""

from __future__ import annotations

import argparse
import asyncio
import time

import asyncpg

from bench.support import domain_events, fresh_database, owner_dsn
from inventory_ledger.adapters.postgres.ledger_reads import reconcile_balances
from inventory_ledger.adapters.postgres.store import PostgresLedgerStore
from inventory_ledger.application.apply_batch import Inbound, apply_batch
from inventory_ledger.domain.events import Event
from inventory_ledger.simulation import SimulationConfig


async def _measure(admin: str, events: list[Event], size: int) -> tuple[float, bool]:
    async with fresh_database(admin, "ledger_app_bench") as dsn:
        pool = await asyncpg.create_pool(dsn, min_size=1, max_size=2)
        try:
            store = PostgresLedgerStore(pool)
            batches = [
                [Inbound(e) for e in events[i : i + size]] for i in range(0, len(events), size)
            ]
            started = time.perf_counter()
            for batch in batches:
                await apply_batch(store, batch)
            elapsed = time.perf_counter() - started
            async with pool.acquire() as conn:
                ok = (await reconcile_balances(conn)).ok
        finally:
            await pool.close()
    return len(events) / elapsed, ok


async def _main(args: argparse.Namespace) -> None:
    config = SimulationConfig(events=args.events, seed=args.seed, items=args.items)
    started = time.perf_counter()
    events = domain_events(config)
    print(
        f"{len(events)} valid events (seed {args.seed}) generated, parsed and translated "
        f"in {time.perf_counter() - started:.1f}s"
    )
    admin = owner_dsn()
    rates: dict[int, float] = {}
    print(f"{'batch':>6} {'events/s':>10} {'vs batch 1':>10} reconcile")
    for size in args.sizes:
        rate, ok = await _measure(admin, events, size)
        rates[size] = rate
        base = rates.get(min(rates))
        ratio = f"{rate / base:.1f}x" if base else "-"
        print(f"{size:>6} {rate:>10.0f} {ratio:>10} {'ok' if ok else 'MISMATCH'}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--sizes", type=lambda s: [int(x) for x in s.split(",")], default=[1, 100, 1000]
    )
    asyncio.run(_main(parser.parse_args()))


if __name__ == "__main__":
    main()
