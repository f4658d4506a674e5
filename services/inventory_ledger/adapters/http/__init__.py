"""The HTTP query API: read-only ledger routes, health and metrics (``api.create_api``).

Routes are thin: each parses its query, calls one view function over ``adapters/postgres``,
and returns the view; the CLI prints the same views, so ``--json`` matches the API.
"""

__all__: list[str] = []
