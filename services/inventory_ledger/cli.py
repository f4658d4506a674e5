"""The ``inventory-ledger`` command line."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Annotated, Any, TypeVar, cast

import typer

from inventory_ledger.local_stack.command import stack_app
from inventory_ledger.settings import Settings
from inventory_ledger.simulation.command import simulate

if TYPE_CHECKING:
    from datetime import datetime

    from pydantic import BaseModel

__all__ = ["app", "main"]

app = typer.Typer(no_args_is_help=True, help="Inventory ledger service.")


app.add_typer(stack_app, name="stack")
app.command("simulate")(simulate)


@app.callback()
def _root() -> None:
    """Inventory ledger: lots, usage and transactions from upstream events."""


@app.command()
def migrate() -> None:
    """Apply pending database migrations (as the owner role) and grant the app role."""
    from inventory_ledger.adapters.postgres.migrations import migrate as run_migrations

    settings = Settings()
    applied = asyncio.run(
        run_migrations(
            settings.migration_database_url.get_secret_value(), app_role=settings.app_role
        )
    )
    for m in applied:
        typer.echo(f"applied {m.version:04d}_{m.name}")
    typer.echo("database schema is up to date")


@app.command()
def run() -> None:
    """Run the service: consume the inbound topics, keep the ledger, publish balance changes."""
    from inventory_ledger.bootstrap import run_service
    from inventory_ledger.collector import tune_collector
    from inventory_ledger.logs import configure_logging

    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    tune_collector()
    asyncio.run(run_service(settings))


# --- read side: balances, transactions, lots, usage, reconciliation, dead letters -------------
# Each command reads through the same views as the HTTP API (so `--json` prints what the API
# returns) on one connection of the app role (`INVENTORY_DATABASE_URL`).

dead_letters_app = typer.Typer(no_args_is_help=True, help="Messages that could not be processed.")
app.add_typer(dead_letters_app, name="dead-letters")

_T = TypeVar("_T")
_DATABASE_ERROR = 3
"""Exit code when the database cannot be read (1 is "not ok", 2 is a usage error)."""
_JSON = typer.Option("--json", help="Print JSON (the HTTP API's shape) instead of a table.")
_LIC = typer.Option("--lic", help="Only this line item code.")
_LOCATION = typer.Option("--location", help="Only this location.")


def _read(settings: Settings, query: Callable[[Any], Awaitable[_T]]) -> _T:
    """Run ``query`` on one app-role connection and close it."""
    import asyncpg

    async def read() -> _T:
        conn = await asyncpg.connect(settings.database_url.get_secret_value(), timeout=10)
        try:
            return await query(conn)
        finally:
            await conn.close()

    try:
        return asyncio.run(read())
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        typer.echo(f"error: cannot read the ledger: {exc}", err=True)
        raise typer.Exit(_DATABASE_ERROR) from None


def _time(option: str, value: str | None) -> datetime | None:
    """An RFC 3339 option value, or a usage error naming the option."""
    from pydantic import ValidationError

    from inventory_ledger.adapters.http.timestamps import parse_rfc3339

    try:
        return None if value is None else parse_rfc3339(value)
    except ValidationError:
        raise typer.BadParameter(
            f"{value!r} is not RFC 3339 (e.g. 2026-11-20T10:00:00Z)", param_hint=option
        ) from None


def _limit(settings: Settings, limit: int | None) -> int:
    """``limit`` (default: the API's page size), at most the API's largest page."""
    largest = settings.api_max_page_size
    chosen = min(settings.api_default_page_size, largest) if limit is None else limit
    if not 1 <= chosen <= largest:
        raise typer.BadParameter(f"must be 1..{largest}", param_hint="--limit")
    return chosen


def _show(
    data: BaseModel | Sequence[BaseModel], as_json: bool, title: str, columns: Sequence[str] = ()
) -> None:
    """``data`` as indented JSON, or its rows (``columns`` or every field) as a rich table."""
    from pydantic import BaseModel
    from rich.console import Console
    from rich.table import Table

    if as_json:
        dumped = (
            data.model_dump(mode="json")
            if isinstance(data, BaseModel)
            else [row.model_dump(mode="json") for row in data]
        )
        typer.echo(json.dumps(dumped, indent=2))
        return
    rows = [data] if isinstance(data, BaseModel) else list(data)
    names = list(columns) or (list(type(rows[0]).model_fields) if rows else [])
    table = Table(title=title)
    for name in names:
        table.add_column(name, justify="right" if name in _NUMERIC else "left", overflow="fold")
    for row in rows:
        values = row.model_dump(mode="json")
        table.add_row(*("" if values[n] is None else str(values[n]) for n in names))
    Console().print(table)


_NUMERIC = frozenset(
    {"on_hand", "on_order", "demand", "available", "projected", "version", "qty", "id"}
    | {"allocated_qty", "remaining_qty", "unallocated_qty", "unit_cost", "cogs", "lots", "usage"}
    | {"expected", "actual", "invariant"}
    | {f"{b}_{s}" for b in ("on_hand", "on_order", "demand") for s in ("txns", "balance")}
)


@app.command()
def balances(
    lic: Annotated[str | None, _LIC] = None,
    location: Annotated[str | None, _LOCATION] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="RFC 3339 business time: Σ ledger up to it.")
    ] = None,
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """Balances per item: current, or as of a business time."""
    from inventory_ledger.adapters.http.balances import balance_views

    settings = Settings()
    when = _time("--as-of", as_of)
    rows = _read(settings, lambda c: balance_views(c, lic=lic, location=location, as_of=when))
    _show(rows, as_json, "balances" if when is None else f"balances as of {when.isoformat()}")


@app.command()
def transactions(  # noqa: PLR0917 (typer maps parameters to options)
    lic: Annotated[str | None, _LIC] = None,
    location: Annotated[str | None, _LOCATION] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="RFC 3339: lines at or after this time.")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="RFC 3339: lines before this time.")
    ] = None,
    limit: Annotated[int | None, typer.Option("--limit", help="Lines per page.")] = None,
    cursor: Annotated[
        str | None, typer.Option("--cursor", help="next_cursor of the previous page.")
    ] = None,
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """Ledger lines in recording order, one page at a time."""
    from inventory_ledger.adapters.http.transactions import decode_cursor, transaction_page_view

    settings = Settings()
    try:
        after = 0 if cursor is None else decode_cursor(cursor)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--cursor") from None
    count, start, end = _limit(settings, limit), _time("--since", since), _time("--until", until)
    page = _read(
        settings,
        lambda c: transaction_page_view(
            c, limit=count, cursor=after, lic=lic, location=location, since=start, until=end
        ),
    )
    if as_json:
        _show(page, as_json, "transactions")
        return
    _show(page.items, as_json, "transactions")
    if page.next_cursor is not None:
        typer.echo(f"more: --cursor {page.next_cursor}")


def _key_cursor(kind: str, cursor: str | None) -> str | None:
    """``cursor`` when it is a ``kind`` cursor the API issued, else a usage error."""
    from inventory_ledger.adapters.http.cost_common import decode_key_cursor

    if cursor is not None:
        try:
            decode_key_cursor(kind, cursor)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--cursor") from None
    return cursor


def _more(next_cursor: str | None) -> None:
    if next_cursor is not None:
        typer.echo(f"more: --cursor {next_cursor}")


_LIMIT = typer.Option("--limit", help="Rows per page.")
_CURSOR = typer.Option("--cursor", help="next_cursor of the previous page.")


@app.command()
def lots(  # noqa: PLR0917 (typer maps parameters to options)
    lic: Annotated[str | None, _LIC] = None,
    location: Annotated[str | None, _LOCATION] = None,
    status: Annotated[
        str | None, typer.Option("--status", help="open (remaining > 0) or closed.")
    ] = None,
    limit: Annotated[int | None, _LIMIT] = None,
    cursor: Annotated[str | None, _CURSOR] = None,
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """Lots (sources of goods) with remaining quantity and unit cost, grouped by item, paged."""
    from inventory_ledger.adapters.http.lots import lot_page_view
    from inventory_ledger.adapters.postgres.cost_reads import LotStatus

    settings = Settings()
    if status not in {None, "open", "closed"}:
        raise typer.BadParameter("must be open or closed", param_hint="--status")
    state = cast("LotStatus | None", status)
    count, after = _limit(settings, limit), _key_cursor("lot", cursor)
    page = _read(
        settings,
        lambda c: lot_page_view(
            c, limit=count, cursor=after, lic=lic, location=location, status=state
        ),
    )
    if as_json:
        _show(page, as_json, "lots")
        return
    columns = ("lot_id", "kind", "qty", "allocated_qty", "remaining_qty", "unit_cost")
    _show(page.items, as_json, "lots", (*columns, "cost_status", "mfr_lot"))
    _more(page.next_cursor)


@app.command()
def usage(  # noqa: PLR0917 (typer maps parameters to options)
    lic: Annotated[str | None, _LIC] = None,
    location: Annotated[str | None, _LOCATION] = None,
    unallocated: Annotated[
        bool, typer.Option("--unallocated", help="Only usage still waiting for a lot.")
    ] = False,
    limit: Annotated[int | None, _LIMIT] = None,
    cursor: Annotated[str | None, _CURSOR] = None,
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """Usage (uses of goods) with allocated quantity and COGS, grouped by item, paged."""
    from inventory_ledger.adapters.http.usage import usage_page_view

    settings = Settings()
    count, after = _limit(settings, limit), _key_cursor("usage", cursor)
    page = _read(
        settings,
        lambda c: usage_page_view(
            c, limit=count, cursor=after, lic=lic, location=location, unallocated=unallocated
        ),
    )
    if as_json:
        _show(page, as_json, "usage")
        return
    columns = ("usage_id", "kind", "qty", "allocated_qty", "unallocated_qty", "cogs")
    _show(page.items, as_json, "usage", columns)
    _more(page.next_cursor)


_MISMATCH_COLUMNS = (
    *("lic", "location", "lots", "usage", "on_hand_txns", "on_hand_balance"),
    *("on_order_txns", "on_order_balance", "demand_txns", "demand_balance"),
)


@app.command()
def reconcile(as_json: Annotated[bool, _JSON] = False) -> None:
    """Check balances against Σ ledger lines and the cost books against both (invariants 1-4);
    exit 1 when they disagree, 3 on a database error."""
    from rich.console import Console
    from rich.table import Table

    from inventory_ledger.adapters.http.reconciliation import reconcile as check
    from inventory_ledger.adapters.http.reconciliation import reconciliation_view_of

    full = _read(Settings(), check)
    report = reconciliation_view_of(full)
    if as_json:
        _show(report, as_json, "reconciliation")
    else:
        if report.mismatches:
            _show(report.mismatches, as_json, "mismatches", _MISMATCH_COLUMNS)
        breaches = [(m, b) for m in report.mismatches for b in m.cost_breaches]
        if breaches:
            table = Table(title="cost breaches")
            for name in ("lic", "location", "invariant", "subject", "rule", "expected", "actual"):
                table.add_column(name, justify="right" if name in _NUMERIC else "left")
            for m, b in breaches:
                row = b.model_dump(mode="json")
                cells = (row["invariant"], row["subject"], row["rule"], row["expected"])
                table.add_row(m.lic, m.location, *(str(c) for c in cells), row["actual"])
            Console().print(table)
        verdict = "ok" if report.ok else f"{len(report.mismatches)} mismatches"
        typer.echo(f"reconciliation: {verdict} ({report.items_checked} items checked)")
        costs = full.costs
        if costs.kept:
            broken = len(costs.mismatched)
            typer.echo(
                f"cost invariants 1, 3, 4: {'ok' if costs.ok else f'{broken} items break them'} "
                f"({costs.lots_checked} lots, {costs.usages_checked} usages checked)"
            )
        else:
            typer.echo("cost invariants 1, 3, 4: not checked (no lot or usage was ever written)")
    if not report.ok:
        raise typer.Exit(1)


@dead_letters_app.command("list")
def list_dead_letters(
    reason: Annotated[str | None, typer.Option("--reason", help="Only this reason code.")] = None,
    limit: Annotated[int | None, typer.Option("--limit", help="How many (oldest first).")] = None,
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """Dead letters, oldest first, with reason and source position."""
    from inventory_ledger.adapters.http.dead_letters import dead_letter_views

    settings = Settings()
    count = _limit(settings, limit)
    rows = _read(settings, lambda c: dead_letter_views(c, limit=count, reason=reason))
    columns = ("id", "reason", "source_topic", "source_partition", "source_offset", "event_id")
    _show(rows, as_json, "dead letters", (*columns, "message", "replayed_at"))


@dead_letters_app.command("replay")
def replay_dead_letters_command(
    ids: Annotated[
        list[int] | None, typer.Option("--id", help="Replay this dead letter (repeatable).")
    ] = None,
    reason: Annotated[
        str | None, typer.Option("--reason", help="Replay all with this reason.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many.")] = 1000,
) -> None:
    """Re-send dead letters (after a fix) to their source topics; the service applies them."""
    from inventory_ledger.adapters.kafka.replay import replay_dead_letters

    if not ids and reason is None:
        raise typer.BadParameter("name --id or --reason (replaying everything is never implied)")
    replayed = asyncio.run(replay_dead_letters(Settings(), ids=ids, reason=reason, limit=limit))
    typer.echo(f"replayed {len(replayed)} dead letter(s)" + (f": {replayed}" if replayed else ""))


@app.command()
def demo(
    events: Annotated[int, typer.Option(min=100, help="Simulated records to publish.")] = 5000,
    seed: Annotated[int, typer.Option(help="Seed of the simulated business.")] = 2026,
) -> None:
    """Migrate, run the service, publish a simulated stream, print the books, stop."""
    from rich.console import Console

    from inventory_ledger.collector import tune_collector
    from inventory_ledger.demo import DemoOptions, run_demo
    from inventory_ledger.logs import configure_logging

    settings = Settings()
    configure_logging("WARNING", "console")
    tune_collector()
    console = Console(width=max(Console().width, 110))
    ok = asyncio.run(run_demo(settings, DemoOptions(events=events, seed=seed), console))
    raise typer.Exit(0 if ok else 1)


def main() -> None:
    """Console-script entry point."""
    app()
