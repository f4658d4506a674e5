"""End-to-end benchmark of the running service against its raw limits, all in one run.

    python -m bench.service_bench [--quick] [--events N] [--latency-seconds S] [--rate R]
    python -m bench.service_bench --latency-only [--latency-seconds S] [--rate R]

On the real local stack (or ``KAFKA_BOOTSTRAP_SERVERS`` / ``DATABASE_URL``), with topics,
consumer groups and databases unique to the run (dropped afterwards):

1. pre-load the five inbound topics with N simulated events (the simulator's publish path);
2. raw limits: an aiokafka consume-only pass over them, and asyncpg COPY of N
   transactions-shaped rows into a scratch table;
3. naive baseline: one event per DB transaction and per offset commit, on the first events;
4. the service (``inventory-ledger run``, a subprocess, py-spy attached when installed) from
   offset 0 on a fresh database until every offset is committed and the outbox is empty; then
   a full replay from offset 0 with a new group on the populated database; then 2 instances in
   one group on another fresh database;
5. latency: a fresh topic set and database, events produced at a fixed rate, each timed from
   just before ``send()`` until a downstream consumer of balance-changed read the messages
   whose ``caused_by`` names it;
6. peak RSS of every service process (VmHWM).

Prints a table and writes ``bench/results/service_bench[_quick].{json,md}``. ``--latency-only``
runs step 5 alone (about half a minute) and prints its figures, with where the time goes
(stages, from the run's own database and the records' Kafka timestamps); it writes nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import itertools
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg

from bench.service_kafka import (
    DownstreamReader,
    GroupProgress,
    TopicSet,
    create_topics,
    delete_topics,
    end_offsets,
    preload,
    raw_consume,
    send_paced,
)
from bench.service_pg import (
    as_role,
    backlog,
    books,
    copy_rate,
    naive_consume,
    server_settings,
)
from bench.service_proc import (
    ServiceProcess,
    backend_cpu,
    machine_busy,
    py_spy,
    summarize_profile,
)
from bench.service_report import latency_report, percentile, table, write_results
from bench.support import fresh_database, owner_dsn
from inventory_ledger.local_stack import LocalStack
from inventory_ledger.settings import Settings
from inventory_ledger.simulation import SimulationConfig, generate

APP_ROLE = "ledger_app_bench"
LIMIT_ROUNDS = 3
QUICK_EVENTS = 50_000
"""Not 200k: on the shared 2-core machine the service applies ~0.7-1.4k events/s, so 200k
events (three service runs of them) would take about a quarter of an hour."""
RESULTS = Path(__file__).resolve().parent / "results"


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def kafka_bootstrap() -> str:
    """``KAFKA_BOOTSTRAP_SERVERS`` if set, else the local stack's broker (started if needed)."""
    if env := os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        return env
    stack = LocalStack.from_settings()
    stack.kafka.start()
    return stack.kafka_bootstrap


@dataclass
class ServiceRun:
    events: int
    seconds: float
    """From the first committed batch to every offset committed and the outbox empty."""
    seconds_with_startup: float
    events_per_s: float
    steady_events_per_s: float
    peak_rss_mb: list[float]
    service_cpu_s: float
    """CPU time of the service processes (all instances) up to that moment."""
    postgres_cpu_s: float
    """CPU time of the Postgres backends connected to the run's database."""
    machine_busy: float
    """Share of all the machine's CPU time that was busy during the run (anyone's)."""

    @property
    def cpu_us_per_event(self) -> tuple[float, float]:
        return (
            self.service_cpu_s / self.events * 1e6,
            self.postgres_cpu_s / self.events * 1e6,
        )


@dataclass
class Bench:
    args: argparse.Namespace
    bootstrap: str
    admin_dsn: str
    work: Path
    run_id: str

    def env(self, owner: str, topics: TopicSet, group: str) -> dict[str, str]:
        return {
            "INVENTORY_KAFKA_BOOTSTRAP_SERVERS": self.bootstrap,
            "INVENTORY_DATABASE_URL": as_role(owner, APP_ROLE),
            "INVENTORY_MIGRATION_DATABASE_URL": owner,
            "INVENTORY_APP_ROLE": APP_ROLE,
            "INVENTORY_CONSUMER_GROUP": group,
            "INVENTORY_HTTP_PORT": "0",
            "INVENTORY_LOG_FORMAT": "json",
            **topics.env(),
            **dict(setting.split("=", 1) for setting in self.args.set),
        }

    def group(self, name: str) -> str:
        return f"bench_{self.run_id}_{name}"

    async def run_service(
        self,
        owner: str,
        topics: TopicSet,
        group: str,
        *,
        label: str,
        instances: int = 1,
        profile: Path | None = None,
    ) -> ServiceRun:
        """Start the instances, wait until the group has committed every offset and nothing
        is left to publish, then SIGTERM them."""
        ends = await end_offsets(self.bootstrap, topics.inbound.all())
        progress = GroupProgress(self.bootstrap, group, ends)
        total = progress.total
        procs = [
            ServiceProcess(
                self.env(owner, topics, group),
                log=self.work / f"{label}-{i}.log",
                profile=profile if i == 0 else None,
            )
            for i in range(instances)
        ]
        database = urlsplit(owner).path.lstrip("/")
        backends: dict[int, float] = {}
        conn = await asyncpg.connect(owner)
        busy0 = machine_busy()
        started = time.perf_counter()
        timeline: list[tuple[float, int]] = []
        try:
            for proc in procs:
                proc.start()
            while not timeline or timeline[-1][1] < total or await backlog(conn):
                await asyncio.sleep(0.25)
                for proc in procs:
                    proc.sample()
                backends |= backend_cpu(database)
                timeline.append((time.perf_counter(), await progress.committed()))
                if timeline[-1][0] > started + self.args.timeout:
                    raise TimeoutError(f"{label}: {timeline[-1][1]:,}/{total:,} not done")
            busy1 = machine_busy()
        finally:
            await asyncio.gather(*(asyncio.to_thread(p.stop) for p in procs))
            await progress.close()
            await conn.close()
        first = next(p for p in timeline if p[1] > 0)
        end = timeline[-1][0]
        return ServiceRun(
            events=total,
            seconds=end - first[0],
            seconds_with_startup=end - started,
            events_per_s=(total - first[1]) / (end - first[0]),
            steady_events_per_s=_steady(timeline, total),
            peak_rss_mb=[p.peak_mb for p in procs],
            service_cpu_s=sum(p.cpu_s for p in procs),
            postgres_cpu_s=sum(backends.values()),
            machine_busy=(busy1[0] - busy0[0]) / (busy1[1] - busy0[1]),
        )


def _steady(timeline: list[tuple[float, int]], total: int) -> float:
    """Rate between the polls where 10 % and 90 % of the input were committed."""
    lo = next(p for p in timeline if p[1] >= 0.1 * total)
    hi = next(p for p in timeline if p[1] >= 0.9 * total)
    return (hi[1] - lo[1]) / (hi[0] - lo[0]) if hi[0] > lo[0] else float("nan")


def _figures(run: ServiceRun) -> dict[str, Any]:
    out = asdict(run)
    out["service_cpu_us_per_event"], out["postgres_cpu_us_per_event"] = run.cpu_us_per_event
    return out


@dataclass
class _Latency:
    """The service on a fresh topic set and database, fed at a fixed rate."""

    bench: Bench
    topics: TopicSet
    owner: str
    reader: DownstreamReader
    proc: ServiceProcess | None = None
    cpu_measured_s: float = 0.0
    """Service CPU from the end of the warm-up until everything was published."""

    @property
    def group(self) -> str:
        return self.bench.group("latency")

    async def measure(self, messages: list[Any], warmup: int) -> tuple[dict[str, float], float]:
        b, a = self.bench, self.bench.args
        self.proc = ServiceProcess(
            b.env(self.owner, self.topics, self.group),
            b.work / "lat.log",
            profile=b.work / "lat-profile.txt" if a.latency_only and py_spy() else None,
        )
        self.proc.start()
        sampler = asyncio.create_task(self._sample(self.proc))
        try:
            warm, _ = await send_paced(b.bootstrap, messages[:warmup], a.rate)
            deadline = time.perf_counter() + 120
            while not any(e in self.reader.last_seen for e in warm):
                if time.perf_counter() > deadline:
                    raise TimeoutError("no balance_changed for the warm-up events")
                await asyncio.sleep(0.1)
            await asyncio.sleep(2)
            self.proc.sample()
            cpu0 = self.proc.cpu_s
            sent_at, send_s = await send_paced(b.bootstrap, messages[warmup:], a.rate)
            await self._drained()
            self.proc.sample()
            self.cpu_measured_s = self.proc.cpu_s - cpu0
            await asyncio.sleep(2)  # the reader's last fetch
        finally:
            sampler.cancel()
            await asyncio.gather(sampler, return_exceptions=True)
            await asyncio.to_thread(self.proc.stop)
        return sent_at, send_s

    @staticmethod
    async def _sample(proc: ServiceProcess) -> None:
        while True:
            proc.sample()
            await asyncio.sleep(0.5)

    async def _drained(self) -> None:
        b = self.bench
        ends = await end_offsets(b.bootstrap, self.topics.inbound.all())
        progress = GroupProgress(b.bootstrap, self.group, ends)
        conn = await asyncpg.connect(self.owner)
        try:
            deadline = time.perf_counter() + 120
            while await progress.committed() < progress.total or await backlog(conn):
                if time.perf_counter() > deadline:
                    raise TimeoutError("latency run did not drain")
                await asyncio.sleep(0.25)
        finally:
            await progress.close()
            await conn.close()


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic-collector pass in *this* process while latency is measured.

    The sender and the downstream reader share this process's loop. A full pass over the
    generated messages stalled both for about 260 ms, about 15 s into every 40 s run: no
    record went out (the service sat idle) and none was read (the events already sent looked
    late). That pause is the benchmark's, not the service's; it made p99 145 ms where runs
    without it gave 96-103 ms. Reference counting still frees; a minute's cycles are kept.
    """
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.unfreeze()


async def _latency(b: Bench, result: dict[str, Any]) -> None:
    a = b.args
    topics = TopicSet(f"bench_{b.run_id}_lat", a.partitions)
    await create_topics(b.bootstrap, topics)
    warmup = 200
    config = SimulationConfig(
        events=warmup + int(a.rate * a.latency_seconds),
        items=a.items,
        seed=a.seed + 1,
        topics=topics.inbound,
    )
    messages = list(generate(config))
    reader = DownstreamReader(b.bootstrap, topics.balance_changed)
    try:
        async with fresh_database(b.admin_dsn, APP_ROLE) as owner:
            await reader.start()
            run = _Latency(b, topics, owner, reader)
            try:
                with _collector_paused():
                    sent_at, send_s = await run.measure(messages, warmup)
            finally:
                await reader.stop()
            marks = await _db_marks(owner)
    finally:
        await delete_topics(b.bootstrap, topics.all())
    last = [(reader.last_seen[e] - t) * 1000 for e, t in sent_at.items() if e in reader.last_seen]
    first = [
        (reader.first_seen[e] - t) * 1000 for e, t in sent_at.items() if e in reader.first_seen
    ]
    assert run.proc is not None
    ordered = [
        (reader.last_seen[e] - t) * 1000
        for e, t in sorted(sent_at.items(), key=lambda kv: kv[1])
        if e in reader.last_seen
    ]
    tenth = max(1, len(ordered) // 10)
    result["figures"]["latency"] = {
        "first_tenth_p50_ms": percentile(ordered[:tenth], 50),
        "last_tenth_p50_ms": percentile(ordered[-tenth:], 50),
        "rate": a.rate,
        "seconds": a.latency_seconds,
        "sent": len(sent_at),
        "achieved_rate": len(sent_at) / send_s,
        "matched": len(last),
        "p50_ms": percentile(last, 50),
        "p95_ms": percentile(last, 95),
        "p99_ms": percentile(last, 99),
        "max_ms": max(last),
        "first_p50_ms": percentile(first, 50),
        "first_p99_ms": percentile(first, 99),
        "service_cpu_s": run.proc.cpu_s,
        "service_cpu_us_per_event": run.cpu_measured_s / len(sent_at) * 1e6,
        "stages": _stages(sent_at, reader, marks),
    }
    result["figures"]["peak_rss_mb"]["latency"] = run.proc.peak_mb


@dataclass
class _Marks:
    """When the run's database saw each event: its batch transaction's start (``now()`` of
    ``processed_events``) and when the last outbox row naming it was marked published."""

    applied: dict[str, float]
    published: dict[str, float]


async def _batches(owner: str) -> dict[str, float]:
    """How the run's events were cut into batch transactions (one ``processed_at`` each)."""
    conn = await asyncpg.connect(owner)
    try:
        row = await conn.fetchrow(
            "SELECT count(DISTINCT processed_at) AS batches, count(*) AS events"
            " FROM processed_events"
        )
    finally:
        await conn.close()
    assert row is not None
    return {"batches": row["batches"], "events_per_batch": row["events"] / max(1, row["batches"])}


async def _db_marks(owner: str) -> _Marks:
    conn = await asyncpg.connect(owner)
    try:
        applied = await conn.fetch(
            "SELECT event_id, extract(epoch FROM processed_at)::float8 AS at FROM processed_events"
        )
        published = await conn.fetch(
            "SELECT e.event_id, max(extract(epoch FROM o.published_at))::float8 AS at "
            "FROM outbox o, jsonb_array_elements_text(o.payload->'data'->'caused_by') "
            "AS e(event_id) GROUP BY e.event_id"
        )
    finally:
        await conn.close()
    return _Marks(
        applied={r["event_id"]: r["at"] for r in applied},
        published={r["event_id"]: r["at"] for r in published if r["at"] is not None},
    )


def _stages(sent_at: dict[str, float], reader: DownstreamReader, marks: _Marks) -> dict[str, Any]:
    """Where an event's latency goes, p50 / p99 in ms per stage, on one clock.

    ``sent_at`` and the reader are on ``perf_counter``; Postgres ``now()`` and Kafka record
    timestamps are wall clock, converted with one offset taken now (same machine).
    """
    offset = time.time() - time.perf_counter()
    stages: dict[str, list[float]] = {
        "produce -> batch transaction starts": [],
        "batch transaction starts -> relay sends": [],
        "relay sends -> downstream reads": [],
        "relay sends -> marked published (ack)": [],
    }
    for event, sent in sent_at.items():
        read, relayed = reader.last_seen.get(event), reader.relayed_at.get(event)
        applied = marks.applied.get(event)
        if read is None or relayed is None or applied is None:
            continue
        relayed, applied = relayed - offset, applied - offset
        stages["produce -> batch transaction starts"].append(applied - sent)
        stages["batch transaction starts -> relay sends"].append(relayed - applied)
        stages["relay sends -> downstream reads"].append(read - relayed)
        if (published := marks.published.get(event)) is not None:
            stages["relay sends -> marked published (ack)"].append(published - offset - relayed)
    out: dict[str, Any] = {
        name: {"p50_ms": percentile(v, 50) * 1000, "p99_ms": percentile(v, 99) * 1000}
        for name, v in stages.items()
        if v
    }
    batches = [marks.applied[e] for e in sent_at if e in marks.applied]
    starts = sorted(set(batches))
    out["batches"] = len(starts)
    out["events_per_batch"] = len(batches) / max(1, len(starts))
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    out["batch_interval_p50_ms"] = percentile(gaps, 50) * 1000 if gaps else float("nan")
    return out


async def _limits(b: Bench, topics: TopicSet, config: SimulationConfig) -> dict[str, Any]:
    """Pre-load, then the raw consume and COPY limits and the naive baseline."""
    a, figures = b.args, {}
    _say(f"pre-loading {a.events:,} events into {a.partitions}-partition topics ...")
    sent, seconds = await preload(b.bootstrap, config)
    figures["preload"] = {"events": sent, "events_per_s": sent / seconds}
    _say(f"  {sent / seconds:,.0f} ev/s; raw consume ...")
    # the limits are the best of LIMIT_ROUNDS (other work only ever slows a round)
    count, seconds = min(
        [await raw_consume(b.bootstrap, topics.inbound.all(), sent) for _ in range(LIMIT_ROUNDS)],
        key=lambda r: r[1],
    )
    figures["raw_consume"] = {"events": count, "events_per_s": count / seconds}
    _say(f"  {count / seconds:,.0f} ev/s; naive consumer on the first {a.naive_events:,} ...")
    async with fresh_database(b.admin_dsn, APP_ROLE) as owner:
        count, seconds = await naive_consume(
            b.bootstrap,
            list(topics.inbound.all()),
            b.group("naive"),
            as_role(owner, APP_ROLE),
            min(a.naive_events, sent),
        )
        figures["naive"] = {"events": count, "events_per_s": count / seconds}
        _say(f"  {count / seconds:,.0f} ev/s; raw COPY of {sent:,} rows ...")
        rows, seconds = min(
            [await copy_rate(owner, sent) for _ in range(LIMIT_ROUNDS)], key=lambda r: r[1]
        )
        figures["raw_copy"] = {"rows": rows, "rows_per_s": rows / seconds}
    _say(f"  {rows / seconds:,.0f} rows/s")
    return figures


async def _service_runs(b: Bench, topics: TopicSet, figures: dict[str, Any]) -> Path | None:
    """1 instance (profiled), the replay on its database, then 2 instances on a fresh one."""
    profile = b.work / "profile.txt" if py_spy() else None
    _say("the service, 1 instance ...")
    async with fresh_database(b.admin_dsn, APP_ROLE) as owner:
        run = await b.run_service(owner, topics, b.group("one"), label="one", profile=profile)
        figures["service"] = _figures(run) | {"books": asdict(await books(owner))}
        figures["service"]["batches"] = await _batches(owner)
        figures["service"]["out_messages"] = sum(
            (await end_offsets(b.bootstrap, [topics.balance_changed])).values()
        )
        figures["peak_rss_mb"]["service"] = max(run.peak_rss_mb)
        _say(f"  {run.events_per_s:,.0f} ev/s; full replay (new group) ...")
        replay = await b.run_service(owner, topics, b.group("replay"), label="replay")
        figures["replay"] = _figures(replay) | {"books": asdict(await books(owner))}
        figures["peak_rss_mb"]["replay"] = max(replay.peak_rss_mb)
    _say(f"  {replay.events_per_s:,.0f} ev/s")
    if not b.args.skip_scaling:
        _say("2 instances in one group ...")
        async with fresh_database(b.admin_dsn, APP_ROLE) as owner:
            two = await b.run_service(owner, topics, b.group("two"), label="two", instances=2)
            figures["two_instances"] = _figures(two) | {"books": asdict(await books(owner))}
            figures["peak_rss_mb"]["two_instances"] = max(two.peak_rss_mb)
        _say(f"  {two.events_per_s:,.0f} ev/s")
    return profile


async def _run(b: Bench) -> dict[str, Any]:
    a = b.args
    if a.latency_only:
        result: dict[str, Any] = {"figures": {"peak_rss_mb": {}}}
        _say(f"latency at {a.rate:,.0f} ev/s for {a.latency_seconds:.0f} s ...")
        await _latency(b, result)
        if (summary := summarize_profile(b.work / "lat-profile.txt")) is not None:
            result["profile"] = asdict(summary)
        return result
    topics = TopicSet(f"bench_{b.run_id}", a.partitions)
    config = SimulationConfig(events=a.events, items=a.items, seed=a.seed, topics=topics.inbound)
    result = {"postgres": await server_settings(b.admin_dsn)}
    await create_topics(b.bootstrap, topics)
    try:
        figures = await _limits(b, topics, config)
        figures["peak_rss_mb"] = {}
        result["figures"] = figures
        profile = await _service_runs(b, topics, figures)
    finally:
        await delete_topics(b.bootstrap, topics.all())
    rows_per_event = figures["service"]["books"]["transactions"] / figures["service"]["events"]
    figures["raw_copy"]["rows_per_event"] = rows_per_event
    figures["raw_copy"]["events_per_s"] = figures["raw_copy"]["rows_per_s"] / rows_per_event
    _say(f"latency at {a.rate:,.0f} ev/s for {a.latency_seconds:.0f} s ...")
    await _latency(b, result)
    if profile is not None and (summary := summarize_profile(profile)) is not None:
        result["profile"] = asdict(summary)
    return result


def _code_version() -> str:
    """The commit of the service code that ran, and whether it had uncommitted changes."""
    import inventory_ledger

    root = Path(inventory_ledger.__file__).resolve().parents[2]
    git = ["git", "-C", str(root)]
    try:
        head = subprocess.run(
            [*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            [*git, "status", "--porcelain", "--", "services", "contracts"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return f"{head}{' with uncommitted changes in services/ or contracts/' if dirty else ''}"


def _notes(r: dict[str, Any]) -> list[str]:
    p, pg = r["parameters"], r["postgres"]
    d = {name: field.default for name, field in Settings.model_fields.items()}
    overrides = f" except {', '.join(p['set'])}" if p.get("set") else ""
    notes = [
        f"Service code: commit {r['code']}; service settings are the defaults{overrides} "
        f"(batches of up to {d['batch_max_records']} records, {d['batch_timeout_ms']} ms batch "
        f"timeout, relay batches of {d['relay_batch_size']}, cost tracking "
        f"{'on' if d['cost_tracking'] else 'off'}).",
        f"Postgres {pg['server_version']}: fsync={pg['fsync']}, "
        f"synchronous_commit={pg['synchronous_commit']}, shared_buffers={pg['shared_buffers']}."
        " Each run gets a fresh migrated database; the service runs as a least-privilege role.",
        f"Naive baseline: an aiokafka consumer that, per message, runs the project's parsing "
        "(split_records) and unit of work (apply_batch with a batch of one: the same set-based "
        "SQL, so a conservative baseline) in its own transaction, then commits that one offset; "
        f"first {p['naive_events']:,} events on a fresh database; it does not publish.",
        "Service rate: events / (time from the first committed batch to every offset committed "
        "and outbox backlog 0), polled every 0.25 s; the replay reuses the first run's "
        "database with a new consumer group (every event is a duplicate).",
        f"Raw limits are the best of {LIMIT_ROUNDS} rounds each (the service runs once), so "
        "the ratios to them are conservative.",
        "Raw COPY: asyncpg copy_records_to_table of synthetic rows shaped like transactions "
        "(same columns, identity and index) in 50k-row chunks; events/s at the service's "
        "measured transaction rows per event.",
        "CPU figures come from /proc (utime+stime of the service processes and of the Postgres "
        "backends of the run's database); 'machine busy' is all CPUs, anyone's work.",
    ]
    if p["quick"]:
        notes.append(
            f"Quick mode pre-loads {QUICK_EVENTS:,} events instead of 200k (200k would take "
            "about a quarter of an hour here, estimated from the measured rates) and samples "
            "the naive consumer on 2k events, not 5k (it runs at ~60 events/s with fsync on)."
        )
    return notes


def _machine() -> str:
    load = os.getloadavg()
    return (
        f"{os.cpu_count()} CPUs, {platform.python_implementation()} "
        f"{platform.python_version()}, load average {load[0]:.1f} at the end"
    )


async def _main(args: argparse.Namespace) -> dict[str, Any]:
    bench = Bench(
        args=args,
        bootstrap=kafka_bootstrap(),
        admin_dsn=owner_dsn(),
        work=Path(tempfile.mkdtemp(prefix="service_bench_")),
        run_id=uuid.uuid4().hex[:8],
    )
    _say(f"logs and profile in {bench.work}")
    started = time.perf_counter()
    result = await _run(bench)
    result["runtime_s"] = time.perf_counter() - started
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="50k events, 20 s of latency")
    parser.add_argument("--events", type=int, help="events to pre-load (1M; quick: 50k)")
    parser.add_argument("--naive-events", type=int, help="naive sample (10k; quick: 2k)")
    parser.add_argument("--latency-seconds", type=float, help="60; quick: 20")
    parser.add_argument("--rate", type=float, default=1000.0, help="latency produce rate")
    parser.add_argument("--partitions", type=int, default=6)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--timeout", type=float, default=1800.0, help="per service run, s")
    parser.add_argument("--skip-scaling", action="store_true")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="INVENTORY_NAME=VALUE",
        help="a service setting for every service run (repeatable), e.g. to try a default",
    )
    parser.add_argument(
        "--latency-only",
        action="store_true",
        help="only the latency run (step 5): print its figures and stages, write nothing",
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help="results directory")
    args = parser.parse_args()
    args.events = args.events or (QUICK_EVENTS if args.quick else 1_000_000)
    args.naive_events = args.naive_events or (2_000 if args.quick else 10_000)
    args.latency_seconds = args.latency_seconds or (20.0 if args.quick else 60.0)
    result = asyncio.run(_main(args))
    if args.latency_only:
        print(latency_report(result["figures"]["latency"], result.get("profile")))
        return
    result["command"] = shlex.join(["python", "-m", "bench.service_bench", *sys.argv[1:]])
    result["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    result["machine"] = _machine()
    result["code"] = _code_version()
    result["parameters"] = {
        "quick": args.quick,
        "events": args.events,
        "naive_events": args.naive_events,
        "latency_seconds": args.latency_seconds,
        "rate": args.rate,
        "partitions": args.partitions,
        "items": args.items,
        "seed": args.seed,
        "set": args.set,
    }
    result["notes"] = _notes(result)
    print(table(result))
    js, md = write_results(result, args.out)
    print(f"wrote {js} and {md}")


if __name__ == "__main__":
    main()
