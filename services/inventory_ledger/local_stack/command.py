"""``inventory-ledger stack up|down|status``."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from inventory_ledger.local_stack.stack import LocalStack, StackError, StackStatus

__all__ = ["stack_app"]

stack_app = typer.Typer(no_args_is_help=True, help="The local stack: real Kafka + PostgreSQL.")
_JSON = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


def _show(status: StackStatus, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps({k: asdict(v) for k, v in vars(status).items()}, indent=2))
        return
    table = Table(title="local stack")
    for col in ("component", "state", "address", "pid", "folder"):
        table.add_column(col)
    for c in (status.kafka, status.postgres):
        state = "ready" if c.ready else ("starting" if c.running else "stopped")
        table.add_row(c.name, state, c.address, str(c.pid or "-"), c.folder)
    Console().print(table)


def _fail(exc: StackError) -> None:
    typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
    raise typer.Exit(1)


@stack_app.command()
def up(as_json: _JSON = False) -> None:
    """Start Kafka and PostgreSQL (idempotent) and print where they listen."""
    stack = LocalStack.from_settings()
    try:
        status = stack.up()
    except StackError as exc:
        _fail(exc)
        return
    _show(status, as_json)
    if not as_json:
        typer.echo(f"KAFKA_BOOTSTRAP_SERVERS={stack.kafka_bootstrap}")
        typer.echo(f"DATABASE_URL={stack.database_url('owner')}")
        typer.echo("stop with: inventory-ledger stack down   (or: make stack-down)")


@stack_app.command()
def down(
    purge: Annotated[bool, typer.Option(help="Also delete the data (jars stay cached).")] = False,
    as_json: _JSON = False,
) -> None:
    """Stop Kafka and PostgreSQL; no process of ours is left behind."""
    try:
        status = LocalStack.from_settings().down(purge=purge)
    except StackError as exc:
        _fail(exc)
        return
    _show(status, as_json)


@stack_app.command()
def status(as_json: _JSON = False) -> None:
    """Show whether each server runs and answers."""
    st = LocalStack.from_settings().status()
    _show(st, as_json)
    if not st.all_ready:
        raise typer.Exit(3)
