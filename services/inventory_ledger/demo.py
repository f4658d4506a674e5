"""``inventory-ledger demo``: the whole job on the local stack, start to finish.

Migrates, starts the service (consumer + outbox relay), publishes a realistic simulated stream
(with a few duplicates and malformed messages) to Kafka, waits until every event is applied
and every balance change is published, prints the books and the reconciliation, and stops.
Events are deterministic for a seed, so a second run changes nothing: idempotency, visibly.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg
from rich.console import Console
from rich.table import Table

from inventory_ledger.adapters.contract_events import envelope_to_domain
from inventory_ledger.adapters.kafka.lag import consumer_lag
from inventory_ledger.adapters.kafka.topics import ensure_topics
from inventory_ledger.adapters.postgres.ledger_reads import (
    balances,
    dead_letter_counts,
    ledger_counts,
    reconcile_balances,
)
from inventory_ledger.adapters.postgres.migrations import migrate
from inventory_ledger.bootstrap import Service
from inventory_ledger.domain.books import replay
from inventory_ledger.settings import Settings
from inventory_ledger.simulation import SimulatedMessage, SimulationConfig, generate, valid_events
from inventory_ledger.simulation.kafka import publish

__all__ = ["DemoOptions", "run_demo"]


@dataclass(frozen=True)
class DemoOptions:
    events: int = 5000
    seed: int = 2026
    items: int = 30
    timeout_s: float = 300.0


async def run_demo(settings: Settings, options: DemoOptions, console: Console) -> bool:
    """Run the demo; True when the books reconcile."""
    applied = await migrate(
        settings.migration_database_url.get_secret_value(), app_role=settings.app_role
    )
    console.print(f"[bold]1. migrate[/]: {len(applied)} migration(s) applied, schema up to date")
    created = await ensure_topics(settings)
    if created:
        console.print(f"   topics created: {', '.join(created)}")
    config = SimulationConfig(
        events=options.events,
        seed=options.seed,
        items=options.items,
        duplicates=0.01,
        malformed=0.005,
    )
    messages = list(generate(config))
    expected = _expected_processed(messages)
    service = Service(settings)
    await service.start()
    console.print(f"[bold]2. service[/]: consuming {', '.join(settings.inbound_topics)}")
    try:
        started = time.monotonic()
        sent = await publish(messages, settings.kafka_bootstrap_servers)
        console.print(
            f"[bold]3. simulate[/]: published {sent} records "
            f"(1% duplicates, 0.5% malformed) in {time.monotonic() - started:.1f}s"
        )
        await _wait_settled(settings, expected, options.timeout_s)
        console.print(
            f"[bold]4. applied[/]: consumer lag 0, {expected} distinct events in the ledger, "
            f"outbox drained, {time.monotonic() - started:.1f}s after the first record was sent"
        )
    finally:
        await service.stop()
    return await _report(settings, console)


def _expected_processed(messages: Sequence[SimulatedMessage]) -> int:
    books = replay(
        envelope_to_domain(m.value)  # type: ignore[arg-type]
        for m in valid_events(messages)
    )
    return len(books.processed)


async def _wait_settled(settings: Settings, expected: int, timeout_s: float) -> None:
    """Until the group has committed every record (lag 0) and the outbox is drained."""
    deadline = time.monotonic() + timeout_s
    conn = await asyncpg.connect(settings.database_url.get_secret_value())
    try:
        while True:
            counts = await ledger_counts(conn)
            drained = not counts.outbox_pending and not counts.dead_letters_pending
            if counts.processed >= expected and drained:
                lag = await consumer_lag(settings)
                if not any(lag.values()):
                    return
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"only {counts.processed} of {expected} events applied after {timeout_s:.0f}s"
                )
            await asyncio.sleep(0.5)
    finally:
        await conn.close()


async def _report(settings: Settings, console: Console) -> bool:
    conn = await asyncpg.connect(settings.database_url.get_secret_value())
    try:
        items = await balances(conn)
        report = await reconcile_balances(conn)
        stats = await ledger_counts(conn)
        letters = await dead_letter_counts(conn)
    finally:
        await conn.close()
    table = Table(title=f"balances ({len(items)} items; first 15)")
    for col in ("location", "lic", "on_hand", "on_order", "demand", "available", "projected", "v"):
        table.add_column(
            col, justify="left" if col in {"location", "lic"} else "right", no_wrap=True
        )
    for b in items[:15]:
        bal = b.balance
        table.add_row(
            b.item.location,
            b.item.lic,
            *(f"{x.normalize():f}" for x in (bal.on_hand, bal.on_order, bal.demand)),
            *(f"{x.normalize():f}" for x in (bal.available, bal.projected)),
            str(b.version),
        )
    console.print(table)
    console.print(
        f"ledger: {stats.transactions} transactions from {stats.processed} events; "
        f"{stats.outbox_published} balance_changed events published to "
        f"{settings.topic_balance_changed}"
    )
    console.print(
        "dead letters: "
        + (", ".join(f"{reason}={n}" for reason, n in letters.items()) or "none")
        + f" (on {settings.topic_dead_letter})"
    )
    verdict = "[green]OK[/]" if report.ok else f"[red]{len(report.mismatches)} MISMATCHES[/]"
    console.print(
        f"[bold]reconciliation[/]: {verdict} — {report.items_checked} items, "
        "balances = Σ transactions per bucket"
    )
    return report.ok
