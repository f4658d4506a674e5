"""The ``inventory-ledger`` command line."""

from __future__ import annotations

import asyncio

import typer

from inventory_ledger.local_stack.command import stack_app
from inventory_ledger.settings import Settings

__all__ = ["app", "main"]

app = typer.Typer(no_args_is_help=True, help="Inventory ledger service.")


app.add_typer(stack_app, name="stack")


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


def main() -> None:
    """Console-script entry point."""
    app()
