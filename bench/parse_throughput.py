"""CPU per event of the consumer's parsing step: Kafka record bytes -> domain event or dead letter.

    python -m bench.parse_throughput [--events 20000] [--seed 7] [--malformed 0.01]
                                     [--batch 500] [--repeat 5] [--baseline DIR]

Simulated messages (``generate(SimulationConfig(...))``) are encoded as the simulator's Kafka
publisher encodes them (``orjson.dumps`` of the envelope; malformed ones are raw bytes) and
wrapped in aiokafka ``ConsumerRecord`` s, then parsed in batches through ``split_records``, the
function the consumer runs on every batch. Figures are CPU time (``time.process_time``) per
record, best of ``--repeat`` rounds, so other work on the machine does not add to them:

* ``split_records``: the whole step (parse, translate, dead letters);
* ``parse_event``: bytes -> contract model only (every record, malformed ones included);
* ``to_domain``: contract model -> domain event only (the valid records).

``--baseline DIR`` measures another checkout of this repository (e.g. an older commit made with
``git worktree add``) against this one in the same run: both run as child processes in turns,
each importing its own ``inventory_ledger`` and ``inventory_contracts`` (``DIR/services``,
``DIR/contracts``) on the same input (its digest is printed and must match), and the ratios of
the best rounds are printed.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

_REPO = Path(__file__).resolve().parent.parent
_MEASURES = ("split_records", "parse_event", "to_domain")


def _records(args: argparse.Namespace) -> list[Any]:
    import orjson
    from aiokafka.structs import ConsumerRecord

    from inventory_ledger.simulation import SimulationConfig, generate

    config = SimulationConfig(
        events=args.events, seed=args.seed, malformed=args.malformed, duplicates=args.duplicates
    )
    records = []
    for offset, message in enumerate(generate(config)):
        value = message.value
        raw = value if isinstance(value, bytes) else orjson.dumps(value)  # the publisher's bytes
        key = message.key.encode()
        records.append(
            ConsumerRecord(
                topic=message.topic,
                partition=0,
                offset=offset,
                timestamp=0,
                timestamp_type=0,
                key=key,
                value=raw,
                checksum=None,
                serialized_key_size=len(key),
                serialized_value_size=len(raw),
                headers=[],
            )
        )
    return records


def _best_cpu(run: Callable[[], object], repeat: int) -> float:
    """Least CPU seconds of ``repeat`` calls (other processes only ever slow a round down)."""
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        started = time.process_time()
        run()
        best = min(best, time.process_time() - started)
    return best


def _measure(args: argparse.Namespace) -> dict[str, Any]:
    """This process's code on the simulated input: µs of CPU per record of each measure."""
    from inventory_contracts import ContractError, parse_event
    from inventory_ledger.adapters.contract_events import to_domain
    from inventory_ledger.adapters.kafka.records import split_records

    records = _records(args)
    values = [r.value for r in records]
    batches = [records[i : i + args.batch] for i in range(0, len(records), args.batch)]

    models = []
    for value in values:
        try:
            models.append(parse_event(value))
        except ContractError:
            continue
    inbound, letters = split_records(records)

    def split_all() -> None:
        for batch in batches:
            split_records(batch)

    def parse_all() -> None:
        for value in values:
            try:
                parse_event(value)
            except ContractError:
                continue

    def translate_all() -> None:
        for model in models:
            to_domain(model)

    digest = hashlib.sha256(b"\0".join(values)).hexdigest()[:16]
    seconds = {
        "split_records": _best_cpu(split_all, args.repeat) / len(records),
        "parse_event": _best_cpu(parse_all, args.repeat) / len(records),
        "to_domain": _best_cpu(translate_all, args.repeat) / max(1, len(models)),
    }
    import inventory_contracts
    import inventory_ledger

    return {
        "records": len(records),
        "valid": len(inbound),
        "dead_letters": len(letters),
        "bytes_per_record": sum(map(len, values)) / len(values),
        "input_digest": digest,
        "us_per_record": {k: v * 1e6 for k, v in seconds.items()},
        "code": [
            str(Path(m.__file__ or "").parent) for m in (inventory_ledger, inventory_contracts)
        ],
    }


def _child(checkout: Path, args: argparse.Namespace) -> dict[str, Any]:
    env = dict(os.environ)
    paths = [str(checkout / "services"), str(checkout / "contracts")]
    env["PYTHONPATH"] = os.pathsep.join([*paths, env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    argv = [sys.executable, "-m", "bench.parse_throughput", "--child", *_passed(args)]
    out = subprocess.run(argv, env=env, cwd=_REPO, check=True, capture_output=True, text=True)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _passed(args: argparse.Namespace) -> list[str]:
    return [
        f"--events={args.events}",
        f"--seed={args.seed}",
        f"--malformed={args.malformed}",
        f"--duplicates={args.duplicates}",
        f"--batch={args.batch}",
        f"--repeat={args.repeat}",
    ]


def _report(results: dict[str, dict[str, Any]]) -> None:
    first = next(iter(results.values()))
    print(
        f"{first['records']:,} records ({first['valid']:,} valid, {first['dead_letters']:,} dead "
        f"letters), {first['bytes_per_record']:.0f} bytes each on average, input digest "
        f"{first['input_digest']}; CPU µs per record, best round"
    )
    names = list(results)
    header = f"{'measure':<15}" + "".join(f"{n:>12}" for n in names)
    if len(names) == 2:
        header += f"{'this/base':>11}"
    print(header)
    for measure in _MEASURES:
        figures = [results[n]["us_per_record"][measure] for n in names]
        row = f"{measure:<15}" + "".join(f"{f:>12.1f}" for f in figures)
        if len(names) == 2:
            row += f"{figures[1] / figures[0]:>10.2f}x"
        print(row)
    for name, result in results.items():
        print(f"  {name}: {', '.join(result['code'])}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.parse_throughput")
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--malformed", type=float, default=0.01)
    parser.add_argument("--duplicates", type=float, default=0.0)
    parser.add_argument("--batch", type=int, default=500, help="records per split_records call")
    parser.add_argument("--repeat", type=int, default=5, help="rounds per process; best counts")
    parser.add_argument(
        "--baseline", type=Path, help="another checkout to compare with, in turns (child runs)"
    )
    parser.add_argument("--turns", type=int, default=2, help="child runs per side (--baseline)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        print(json.dumps(_measure(args)))
        return
    if args.baseline is None:
        _report({"this": _measure(args)})
        return

    sides = {"baseline": args.baseline.resolve(), "this": _REPO}
    best: dict[str, dict[str, Any]] = {}
    for _ in range(args.turns):
        for name, checkout in sides.items():
            result = _child(checkout, args)
            if name in best:
                old = best[name]["us_per_record"]
                result["us_per_record"] = {
                    k: min(v, old[k]) for k, v in result["us_per_record"].items()
                }
            best[name] = result
    digests = {r["input_digest"] for r in best.values()}
    if len(digests) != 1:
        raise SystemExit(f"the two checkouts simulated different input: {digests}")
    _report(best)


if __name__ == "__main__":
    main()
