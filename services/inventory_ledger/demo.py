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
from decimal import Decimal

import asyncpg
from rich.console import Console
from rich.table import Table

from inventory_ledger.adapters.contract_events import envelope_to_domain
from inventory_ledger.adapters.kafka.lag import consumer_lag
from inventory_ledger.adapters.kafka.topics import ensure_topics
from inventory_ledger.adapters.postgres.cost_reads import (
    CostReconciliation,
    LotRow,
    UnallocatedSummary,
    UsageCogs,
    UsagePage,
    cost_layers,
    lots,
    reconcile_costs,
    top_cogs,
    unallocated_summary,
    usage,
)
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
from inventory_ledger.simulation import (
    SimulatedMessage,
    SimulationConfig,
    TopicNames,
    generate,
    valid_events,
)
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
        topics=TopicNames(*settings.inbound_topics),
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
        stats = await ledger_counts(conn)
        letters = await dead_letter_counts(conn)
        waiting = await unallocated_summary(conn)
        first_waiting = await usage(conn, limit=5, unallocated=True)
        top = await top_cogs(conn, 5)
        layers: list[LotRow] = []
        some_open = (await lots(conn, limit=1, status="open")).items
        candidates = [*(u.usage.item for u in top), *(lot.item for lot in some_open)]
        for item in dict.fromkeys(candidates):  # a costliest item with stock, else any
            layers = await cost_layers(conn, item.lic, item.location)
            if layers:
                break
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            report = await reconcile_balances(conn)
            costs = await reconcile_costs(conn)
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
    _print_costs(console, waiting, first_waiting, top)
    _print_layers(console, layers)
    console.print(
        f"ledger: {stats.transactions} transactions from {stats.processed} events; "
        f"{stats.outbox_published} balance_changed events published to "
        f"{settings.topic_balance_changed}"
    )
    standing = {reason: n for reason, (n, _) in letters.items() if n}
    cured = {reason: done for reason, (_, done) in letters.items() if done}
    console.print(
        "dead letters: "
        + (", ".join(f"{reason}={n}" for reason, n in standing.items()) or "none")
        + f" (on {settings.topic_dead_letter})"
    )
    if cured:
        console.print(
            "cured since (serials that arrived before their receipt or shipment: parked, then "
            "applied): " + ", ".join(f"{reason}={n}" for reason, n in cured.items())
        )
    verdict = "[green]OK[/]" if report.ok else f"[red]{len(report.mismatches)} MISMATCHES[/]"
    console.print(
        f"[bold]reconciliation[/]: {verdict} — {report.items_checked} items, "
        "balances = Σ transactions per bucket"
    )
    _print_cost_reconciliation(console, costs)
    return report.ok and costs.ok


def _num(value: Decimal) -> str:
    """A decimal as plain digits without trailing zeros (``19.500000`` -> ``19.5``)."""
    return "0" if value.is_zero() else f"{value.normalize():f}"


def _print_costs(
    console: Console, waiting: UnallocatedSummary, first_waiting: UsagePage, top: list[UsageCogs]
) -> None:
    """Usage still waiting for lots (negative stock), and the largest COGS with their lots."""
    console.print(
        f"[bold]unallocated usage[/]: {waiting.usages} usage line(s) of {waiting.items} item(s) "
        f"wait for lots ({_num(waiting.qty)} units shipped or consumed beyond stock)"
    )
    if first_waiting.items:
        table = Table(title=f"unallocated usage (first {len(first_waiting.items)})")
        for col in ("usage", "item", "qty", "allocated", "unallocated", "cogs"):
            table.add_column(col, justify="left" if col in {"usage", "item"} else "right")
        for u in first_waiting.items:
            table.add_row(
                u.usage_id,
                str(u.item),
                *(_num(x) for x in (u.qty - u.returned_qty, u.allocated_qty)),
                *(_num(x) for x in (u.unallocated_qty, u.cogs)),
            )
        console.print(table)
    if not top:
        console.print("COGS: no usage yet")
        return
    table = Table(title=f"top {len(top)} usages by COGS, with the lots they drew from")
    for col in ("usage / lot", "qty", "unit cost", "COGS", "cost"):
        table.add_column(col, justify="left" if col in {"usage / lot", "cost"} else "right")
    for entry in top:
        u = entry.usage
        table.add_row(
            f"[bold]{u.usage_id}[/] ({u.item})", _num(u.qty - u.returned_qty), "", _num(u.cogs), ""
        )
        for a in entry.allocations:
            table.add_row(
                f"  <- {a.lot_id}",
                _num(a.qty),
                _num(a.unit_cost),
                _num(a.amount),
                a.cost_status or "lot missing",
            )
    console.print(table)


def _print_layers(console: Console, layers: list[LotRow]) -> None:
    """The open lots (cost layers) of one item, first received first."""
    if not layers:
        return
    item = layers[0].item
    table = Table(title=f"open lots of {item} in FIFO order (first 5 of {len(layers)})")
    for col in ("lot", "received", "qty", "allocated", "remaining", "unit cost", "cost"):
        table.add_column(col, justify="left" if col in {"lot", "received", "cost"} else "right")
    for lot in layers[:5]:
        received = "" if lot.received_at is None else f"{lot.received_at:%Y-%m-%d %H:%M}"
        table.add_row(
            lot.lot_id,
            received,
            *(_num(x) for x in (lot.qty, lot.allocated_qty, lot.remaining_qty, lot.unit_cost)),
            lot.cost_status,
        )
    console.print(table)


def _print_cost_reconciliation(console: Console, costs: CostReconciliation) -> None:
    if not costs.kept:
        console.print(
            "[bold]cost reconciliation[/]: not checked — no lot or usage was ever written "
            "(a ledger filled before the service kept cost books? start from a fresh database: "
            "inventory-ledger stack down --purge)"
        )
        return
    bad = len(costs.mismatched)
    verdict = "[green]OK[/]" if costs.ok else f"[red]{bad} ITEMS BREAK THEM[/]"
    console.print(
        f"[bold]cost reconciliation[/]: {verdict} — {costs.lots_checked} lots, "
        f"{costs.usages_checked} usages: Σ lots - Σ usage = Σ on_hand transactions = on_hand "
        "(1), allocated ≤ qty (3), COGS = Σ allocations = Σ COGS journal (4)"
    )
    for c in costs.mismatched[:5]:
        console.print(
            f"  {c.item}: lots {_num(c.lots)} - usage {_num(c.usage)} vs on_hand "
            f"{_num(c.on_hand_txns)} (transactions), {_num(c.balance.on_hand)} (balance)"
        )
    for b in costs.breaches[:5]:
        expected = "?" if b.expected is None else _num(b.expected)
        console.print(
            f"  {b.item} {b.subject}: {b.rule} (invariant {b.invariant}): "
            f"expected {expected}, found {_num(b.actual)}"
        )
