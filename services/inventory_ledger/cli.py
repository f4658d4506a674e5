"""The ``inventory-ledger`` command line."""

from __future__ import annotations

import typer

from inventory_ledger.local_stack.command import stack_app

__all__ = ["app", "main"]

app = typer.Typer(no_args_is_help=True, help="Inventory ledger service.")


app.add_typer(stack_app, name="stack")


@app.callback()
def _root() -> None:
    """Inventory ledger: lots, usage and transactions from upstream events."""


def main() -> None:
    """Console-script entry point."""
    app()
