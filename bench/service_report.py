"""Figures of one service benchmark run → a printed table, JSON and a markdown page."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["latency_report", "percentile", "rows", "write_results"]


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def _rate(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.0f} ev/s"


def _check(ok: bool) -> str:
    return "met" if ok else "NOT met"


def rows(r: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(measure, figure, ratio and target) rows of the result ``r``."""
    f = r["figures"]
    svc_run = f["service"]
    svc = svc_run["events_per_s"]
    raw = f["raw_consume"]["events_per_s"]
    naive = f["naive"]["events_per_s"]
    copy = f["raw_copy"]
    out = [
        ("raw consume: aiokafka, all partitions, no parsing", _rate(raw), "limit"),
        (
            f"raw COPY: {copy['rows']:,} transactions-shaped rows",
            f"{copy['rows_per_s']:,.0f} rows/s",
            f"= {copy['events_per_s']:,.0f} ev/s at the service's "
            f"{copy['rows_per_event']:.2f} rows/event",
        ),
        (
            f"naive: 1 event per DB txn + offset commit (first {f['naive']['events']:,})",
            _rate(naive),
            "baseline",
        ),
        (
            f"service, 1 instance: {f['service']['events']:,} events until outbox backlog 0",
            _rate(svc),
            f"{svc / raw:.2f}x raw consume (target >= 0.3x: {_check(svc / raw >= 0.3)}); "
            f"{svc / naive:.1f}x naive (target >= 10x: {_check(svc / naive >= 10)}); "
            f"{svc / copy['events_per_s']:.2f}x the COPY limit",
        ),
    ]
    if (replay := f.get("replay")) is not None:
        out.append(
            (
                "full replay from offset 0 (new group, populated DB)",
                _rate(replay["events_per_s"]),
                f"{replay['events_per_s'] / svc:.2f}x first run; "
                f"{replay['events_per_s'] / raw:.2f}x raw consume",
            )
        )
    if (two := f.get("two_instances")) is not None:
        out.append(
            (
                f"service, 2 instances, one group, {r['parameters']['partitions']} partitions",
                _rate(two["events_per_s"]),
                f"{two['events_per_s'] / svc:.2f}x 1 instance",
            )
        )
    if (lat := f.get("latency")) is not None:
        out.append(
            (
                f"latency at {lat['rate']:,.0f} ev/s for {lat['seconds']:.0f} s, produce -> "
                "balance_changed readable",
                f"p50 {lat['p50_ms']:.0f} / p95 {lat['p95_ms']:.0f} / p99 {lat['p99_ms']:.0f} ms",
                f"target p99 < 100 ms: {_check(lat['p99_ms'] < 100)}",
            )
        )
    us, pg_us = svc_run["service_cpu_us_per_event"], svc_run["postgres_cpu_us_per_event"]
    out.append(
        (
            "service CPU per event, 1 instance (+ its Postgres backends)",
            f"{us:,.0f} µs (+{pg_us:,.0f} µs)",
            f"= {1e6 / us:,.0f} ev/s per core the service gets to itself; "
            f"{1e6 / us / raw:.2f}x raw consume",
        )
    )
    peak = max(f["peak_rss_mb"].values())
    out.append(
        (
            "peak RSS of a service process (VmHWM)",
            f"{peak:.0f} MB",
            f"target < 300 MB: {_check(peak < 300)}",
        )
    )
    return out


def _stage_lines(lat: dict[str, Any]) -> list[str]:
    """Markdown rows: where an event's latency went, stage by stage."""
    stages = lat.get("stages") or {}
    lines = [
        f"| {name} | {v['p50_ms']:.0f} | {v['p99_ms']:.0f} |"
        for name, v in stages.items()
        if isinstance(v, dict)
    ]
    if not lines:
        return []
    return [
        "| stage of an event's latency | p50 ms | p99 ms |",
        "| --- | ---: | ---: |",
        *lines,
        "",
        f"{stages['batches']:,} batch transactions, {stages['events_per_batch']:.0f} events per "
        f"batch on average, one every {stages['batch_interval_p50_ms']:.0f} ms (p50). Stages "
        "come from the run's database (a batch transaction's start: `processed_at`) and the "
        "balance_changed records' Kafka timestamps (the relay's `send()`), all on one "
        "machine's clock; the ack stage overlaps the read stage.",
    ]


def latency_report(lat: dict[str, Any], profile: dict[str, Any] | None = None) -> str:
    """The latency run alone, as printed by ``--latency-only`` (with py-spy's stages)."""
    lines = [
        f"latency at {lat['rate']:,.0f} ev/s for {lat['seconds']:.0f} s "
        f"(achieved {lat['achieved_rate']:,.0f} ev/s, {lat['matched']:,} of {lat['sent']:,} "
        "matched): "
        f"p50 {lat['p50_ms']:.0f} / p95 {lat['p95_ms']:.0f} / p99 {lat['p99_ms']:.0f} / "
        f"max {lat['max_ms']:.0f} ms; first tenth p50 {lat['first_tenth_p50_ms']:.0f} ms, "
        f"last tenth p50 {lat['last_tenth_p50_ms']:.0f} ms",
        f"service CPU {lat['service_cpu_us_per_event']:.0f} µs/event while measured",
        "",
        *_stage_lines(lat),
    ]
    if profile:
        lines += ["", "py-spy, shares of the service's busy samples:"]
        lines += [f"  {share:4.0%}  {label}" for label, share in profile["stages"]]
        lines += [f"  {share:4.1%}  {name}" for name, share in profile["self_top"]]
    return "\n".join(lines)


def table(r: dict[str, Any]) -> str:
    data = rows(r)
    widths = [max(len(row[i]) for row in data) for i in range(2)]
    return "\n".join(f"{m:<{widths[0]}}  {v:>{widths[1]}}  {t}" for m, v, t in data)


def _markdown(r: dict[str, Any]) -> str:
    p, f = r["parameters"], r["figures"]
    lines = [
        f"# Service benchmark ({'quick' if p['quick'] else 'full'} mode)",
        "",
        f"`{r['command']}` — {r['finished_at']}, {r['runtime_s']:.0f} s wall clock in all. "
        f"{p['events']:,} simulated events (seed {p['seed']}, {p['items']} items, "
        f"{p['partitions']} partitions per topic), one run, one machine: {r['machine']}. "
        "Other sessions share the machine, so only the ratios of this run mean much.",
        "",
        "| measure | figure | ratio / target |",
        "| --- | ---: | --- |",
        *(f"| {m} | {v} | {t} |" for m, v, t in rows(r)),
        "",
    ]
    svc = f["service"]
    lines += [
        "Details: the service run took "
        f"{svc['seconds']:.1f} s from its first committed batch to outbox backlog 0 "
        f"({svc['seconds_with_startup']:.1f} s with startup); steady rate between 10 % and 90 % "
        f"of the input {svc['steady_events_per_s']:,.0f} ev/s. Books after it: "
        f"{svc['books']['processed']:,} processed events, {svc['books']['transactions']:,} "
        f"transactions, {svc['books']['outbox_published']:,} balance_changed published "
        f"({svc['out_messages']:,} on the topic), {svc['books']['dead_letters']:,} dead letters, "
        f"reconciliation {'ok' if svc['books']['reconciled'] else 'MISMATCH'}.",
    ]
    if (lat := f.get("latency")) is not None:
        lines += [
            "",
            f"Latency: {lat['matched']:,} of {lat['sent']:,} events produced at "
            f"{lat['achieved_rate']:,.0f} ev/s changed a balance and were matched by "
            "`caused_by` (the rest change no balance, e.g. a vendor bill); the figure is until "
            "*all* of an event's balance_changed messages were read (first one: p50 "
            f"{lat['first_p50_ms']:.0f} / p99 {lat['first_p99_ms']:.0f} ms; max "
            f"{lat['max_ms']:.0f} ms). p50 of the first tenth of the events sent: "
            f"{lat['first_tenth_p50_ms']:.0f} ms, of the last tenth: "
            f"{lat['last_tenth_p50_ms']:.0f} ms (a growing figure means the service fell "
            "behind the produce rate, i.e. the latency is a backlog). Service CPU while "
            f"measured: {lat['service_cpu_us_per_event']:.0f} µs/event.",
        ]
        if stage_lines := _stage_lines(lat):
            lines += ["", *stage_lines]
    lines += ["", "## CPU per event (noise-resistant: other sessions do not add to it)", ""]
    lines += [
        "| run | service CPU µs/event | Postgres backends CPU µs/event | service CPU / wall "
        "| machine busy (anyone) |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for key, label in (
        ("service", "1 instance"),
        ("replay", "replay"),
        ("two_instances", "2 instances"),
    ):
        if (run := f.get(key)) is not None:
            lines.append(
                f"| {label} | {run['service_cpu_us_per_event']:.0f} "
                f"| {run['postgres_cpu_us_per_event']:.0f} "
                f"| {run['service_cpu_s'] / run['seconds_with_startup']:.0%} "
                f"| {run['machine_busy']:.0%} |"
            )
    prof = r.get("profile")
    if prof:
        busy = prof["samples"] - prof["startup_samples"]
        lines += [
            "",
            "## Where the service's time goes",
            "",
            "py-spy (attached, non-blocking) on the 1-instance run, 100 Hz, main thread, idle "
            f"(waiting in epoll) excluded: {busy:,} samples after startup "
            f"({prof['startup_samples']:,} during imports and setup left out). Awaiting "
            "Postgres or Kafka is idle, so these are shares of the service's own CPU work.",
            "",
            "| stage | share |",
            "| --- | ---: |",
            *(f"| {label} | {share:.0%} |" for label, share in prof["stages"]),
            "",
            "| hottest functions (self time) | share |",
            "| --- | ---: |",
            *(f"| `{name}` | {share:.1%} |" for name, share in prof["self_top"]),
        ]
    else:
        lines += ["", "Profile: skipped (py-spy not installed: `pip install py-spy`)."]
    if r.get("notes"):
        lines += ["", "## Notes", "", *(f"- {note}" for note in r["notes"])]
    return "\n".join(lines) + "\n"


def write_results(r: dict[str, Any], directory: Path) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    stem = "service_bench_quick" if r["parameters"]["quick"] else "service_bench"
    js, md = directory / f"{stem}.json", directory / f"{stem}.md"
    js.write_text(json.dumps(r, indent=2) + "\n")
    md.write_text(_markdown(r))
    return js, md
