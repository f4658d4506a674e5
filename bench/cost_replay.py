"""Pure replay throughput: quantity-only vs cost tracking, on the same simulated events.

    python -m bench.cost_replay [--events 100000] [--items 50] [--seed 7] [--chunk 10000]
                                [--repeat 3] [--revalidate] [--reconcile]

Measures, in one run (these machines are noisy, so only same-run ratios mean much; each
measurement is repeated ``--repeat`` times, alternating, and the best time of each is kept;
times are the process's CPU time, so other processes on the machine do not count):

* quantity-only: ``replay`` (documents and ledger transactions), events/s;
* cost: the incremental cost fold (``CostLedger.apply`` per event), events/s and CPU µs per
  event, and its rate per chunk of ``--chunk`` events — the first and last chunks show
  whether per-event work stays flat as history grows (the quantity fold's chunks are shown
  for comparison). Like the service (``CostTracker.settle``), the books are frozen out of
  the cyclic collector's passes after each chunk. In the unit of work the quantity posting
  validates an event just before the cost side, so the fold is called with
  ``validated=True``; ``--revalidate`` makes it validate again (what a caller that does not
  pass the flag pays);
* both: what a store doing both pays per event (1 / (1/quantity + 1/cost)), and its ratio
  to quantity-only — the issue's target is >= 50 %, i.e. cost work <= quantity work.

``--reconcile`` also checks invariants 1, 3 and 4 on the final books, against the quantity
ledger of the events the cost side accepted (serial rules refuse some simulated events that
the quantity side alone posts; the store dead-letters such an event on both sides).
"""

from __future__ import annotations

import argparse
import gc
import time
from collections import Counter

from bench.support import domain_events
from inventory_ledger.collector import tune_collector
from inventory_ledger.domain import replay
from inventory_ledger.domain.cost_errors import BusinessRuleViolation
from inventory_ledger.domain.cost_ledger import CostLedger
from inventory_ledger.domain.cost_reconcile import reconcile_costs
from inventory_ledger.domain.errors import EventRejectedError
from inventory_ledger.domain.events import Event
from inventory_ledger.simulation import SimulationConfig


def _quantity(events: list[Event]) -> float:
    started = time.process_time()
    replay(events)
    return time.process_time() - started


def _quantity_chunks(events: list[Event], chunk: int) -> list[float]:
    """Quantity-only rate per chunk (its per-event work is constant by construction: a
    decline here is the machine's — a bigger heap, colder caches — not the algorithm's)."""
    books, rates = None, []
    for start in range(0, len(events), chunk):
        part = events[start : start + chunk]
        began = time.process_time()
        books = replay(part, books)
        rates.append(len(part) / (time.process_time() - began))
    return rates


def _cost(
    events: list[Event], chunk: int, *, validated: bool
) -> tuple[float, list[float], CostLedger]:
    ledger = CostLedger()
    chunks: list[float] = []
    total = 0.0
    for start in range(0, len(events), chunk):
        began = time.process_time()
        for event in events[start : start + chunk]:
            try:
                ledger.apply(event, validated=validated)
            except (EventRejectedError, BusinessRuleViolation) as error:
                ledger.reject(event.event_id, str(error.reason))
        elapsed = time.process_time() - began
        gc.freeze()  # as the service's CostTracker.settle does after each batch
        chunks.append(len(events[start : start + chunk]) / elapsed)
        total += elapsed
    gc.unfreeze()
    return total, chunks, ledger


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n", maxsplit=1)[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--chunk", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--revalidate", action="store_true", help="the cost fold validates too")
    parser.add_argument("--reconcile", action="store_true")
    args = parser.parse_args()
    tune_collector()  # the collector settings of the service process (`inventory-ledger run`)
    config = SimulationConfig(events=args.events, seed=args.seed, items=args.items)
    started = time.process_time()
    events = domain_events(config)
    print(
        f"{len(events)} valid events (seed {args.seed}, {args.items} items) generated, parsed "
        f"and translated in {time.process_time() - started:.1f}s"
    )
    gc.collect()
    gc.freeze()  # the input events are neither fold's state: keep them out of GC passes
    quantity_s, cost_s, chunks = float("inf"), float("inf"), list[float]()
    for _ in range(args.repeat):  # alternate the two, keep each one's best: less noise
        gc.collect()
        quantity_s = min(quantity_s, _quantity(events))
        gc.collect()
        elapsed, run_chunks, ledger = _cost(events, args.chunk, validated=not args.revalidate)
        if elapsed < cost_s:
            cost_s, chunks = elapsed, run_chunks
    quantity, cost = len(events) / quantity_s, len(events) / cost_s
    both = 1 / (1 / quantity + 1 / cost)
    gc.collect()
    quantity_chunks = _quantity_chunks(events, args.chunk)
    print(f"quantity-only replay   {quantity:>9.0f} events/s")
    mode = "validating again" if args.revalidate else "validated=True"
    print(
        f"cost replay            {cost:>9.0f} events/s   ({cost / quantity:.0%} of quantity-only; "
        f"{1e6 / cost:.1f} µs/event CPU, {mode})"
    )
    print(
        f"quantity + cost        {both:>9.0f} events/s   ({both / quantity:.0%} of quantity-only)"
    )
    print(
        f"cost per {args.chunk} events: first {chunks[0]:.0f}/s, last {chunks[-1]:.0f}/s "
        f"(last/first {chunks[-1] / chunks[0]:.2f}); all: "
        + " ".join(f"{rate:.0f}" for rate in chunks)
    )
    print(
        f"quantity per {args.chunk} events: first {quantity_chunks[0]:.0f}/s, last "
        f"{quantity_chunks[-1]:.0f}/s (last/first {quantity_chunks[-1] / quantity_chunks[0]:.2f})"
    )
    full, reasons = ledger.graph.full_runs, Counter(ledger.rejected.values())
    print(f"rejected by the cost rules {dict(reasons)}; full re-evaluations (cycles) {full}")
    if args.reconcile:  # against the quantity ledger of the events the cost side accepted
        accepted = [e for e in events if e.event_id not in ledger.rejected]
        found = reconcile_costs(ledger.books(), replay(accepted).transactions)
        print(f"reconcile: {'clean' if not found else f'{len(found)} mismatches'}")


if __name__ == "__main__":
    main()
