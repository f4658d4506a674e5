"""The HTTP query API: a FastAPI app over a pool and probes that the caller made and owns.

Nothing connects here or at import time: bootstrap makes the asyncpg pool and the health probe
in its startup hook and passes them in (tests pass a pool on a scratch database). All ``/v1``
routes are read-only and behind the optional bearer token; health and metrics are not.
"""

from __future__ import annotations

import asyncpg
from fastapi import APIRouter, FastAPI, Request, status
from fastapi.responses import JSONResponse
from prometheus_client import REGISTRY, CollectorRegistry

from inventory_ledger.adapters.http.auth import bearer_token_dependencies
from inventory_ledger.adapters.http.balances import balances_routes
from inventory_ledger.adapters.http.dead_letters import dead_letters_routes
from inventory_ledger.adapters.http.health import HealthProbe, health_routes
from inventory_ledger.adapters.http.lots import lots_routes
from inventory_ledger.adapters.http.reconciliation import reconciliation_routes
from inventory_ledger.adapters.http.transactions import transactions_routes
from inventory_ledger.adapters.http.usage import usage_routes
from inventory_ledger.settings import Settings

__all__ = ["create_api"]

_DESCRIPTION = """\
Read-only queries over the inventory ledger: balances (now or as of a business time), the
ledger's lines, lots and usage with their costs (COGS), the reconciliation of balances and
cost books against the ledger, and dead letters.

Quantities are decimal **strings** (`"12.5"`), never JSON numbers. Times are RFC 3339 with an
offset. When the service has an API token, every `/v1` route needs
`Authorization: Bearer <token>`; `/healthz`, `/readyz` and `/metrics` never do.
"""

_UNAVAILABLE = (OSError, TimeoutError, asyncpg.InterfaceError, asyncpg.PostgresConnectionError)
"""Postgres is unreachable or dropped the connection: a 503 the client may retry, not a 500."""


async def _database_unavailable(_request: Request, _exc: Exception) -> JSONResponse:
    return JSONResponse(
        {"detail": "the database is unavailable; retry later"},
        status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
        headers={"Retry-After": "5"},
    )


def create_api(
    settings: Settings,
    pool: asyncpg.Pool,
    health: HealthProbe,
    *,
    registry: CollectorRegistry | None = None,
) -> FastAPI:
    """The app: ``/v1`` queries on ``pool``, readiness from ``health``, metrics of ``registry``.

    ``registry`` defaults to prometheus-client's process-wide one. The caller owns the pool
    (and closes it); the app never opens or closes a connection source.
    """
    app = FastAPI(
        title="Inventory ledger",
        version="1",
        description=_DESCRIPTION,
        docs_url="/docs",
        redoc_url=None,
    )
    max_limit = settings.api_max_page_size
    default_limit = min(settings.api_default_page_size, max_limit)
    v1 = APIRouter(
        dependencies=bearer_token_dependencies(settings.api_token),
        responses={401: {"description": "Missing or wrong bearer token (token configured)."}}
        if settings.api_token is not None
        else None,
    )
    v1.include_router(balances_routes(pool))
    v1.include_router(transactions_routes(pool, default_limit=default_limit, max_limit=max_limit))
    v1.include_router(lots_routes(pool, default_limit=default_limit, max_limit=max_limit))
    v1.include_router(usage_routes(pool, default_limit=default_limit, max_limit=max_limit))
    v1.include_router(reconciliation_routes(pool))
    v1.include_router(dead_letters_routes(pool, default_limit=default_limit, max_limit=max_limit))
    app.include_router(v1)
    app.include_router(health_routes(health, REGISTRY if registry is None else registry))
    for exc_type in _UNAVAILABLE:
        app.add_exception_handler(exc_type, _database_unavailable)
    return app
