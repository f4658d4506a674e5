"""Liveness, readiness and metrics: ``/healthz``, ``/readyz``, ``/metrics``.

Liveness says only that the process serves HTTP (a restart cannot fix a database outage, so the
database is not part of it). Readiness asks Postgres and Kafka, each within a timeout and in
parallel, through a :class:`HealthProbe`; a probe answers ``False`` instead of raising.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any, Protocol

import asyncpg
import structlog
from aiokafka.client import AIOKafkaClient
from fastapi import APIRouter, Response, status
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from pydantic import BaseModel, ConfigDict, Field

from inventory_ledger.adapters.postgres.transaction_reads import ping

__all__ = ["HealthProbe", "Liveness", "Readiness", "ServiceHealthProbe", "health_routes"]

_log: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(__name__)


class HealthProbe(Protocol):
    """Whether each dependency of the service answers now."""

    async def database(self) -> bool:
        """Postgres answers a statement."""
        ...

    async def broker(self) -> bool:
        """A Kafka broker answers a metadata request."""
        ...


class ServiceHealthProbe:
    """The real probes: a pooled ``SELECT 1`` and a metadata request on a short-lived client."""

    def __init__(
        self, pool: asyncpg.Pool, kafka_options: Mapping[str, Any], timeout_s: float
    ) -> None:
        """``kafka_options`` are ``Settings.kafka_options()`` (bootstrap servers, security)."""
        self._pool = pool
        self._kafka_options = dict(kafka_options)
        self._timeout_s = timeout_s

    async def database(self) -> bool:
        try:
            async with asyncio.timeout(self._timeout_s), self._pool.acquire() as conn:
                return await ping(conn)
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            _log.warning("readiness: database unreachable", error=repr(exc))
            return False

    async def broker(self) -> bool:
        client = AIOKafkaClient(
            **{
                **self._kafka_options,
                "client_id": "inventory-ledger-readiness",
                "request_timeout_ms": max(1, int(self._timeout_s * 1000)),
            }
        )
        try:
            async with asyncio.timeout(self._timeout_s):
                await client.bootstrap()  # connects and fetches the cluster's metadata
            return bool(client.cluster.brokers())
        except Exception as exc:  # any failure means "not ready"; say why in the log
            _log.warning("readiness: broker unreachable", error=repr(exc))
            return False
        finally:
            await client.close()


class Liveness(BaseModel):
    model_config = ConfigDict(frozen=True)

    alive: bool = Field(description="Always true: the process answers HTTP.")


class Readiness(BaseModel):
    model_config = ConfigDict(frozen=True)

    ready: bool = Field(description="Both dependencies answered; false gives status 503.")
    database: bool = Field(description="Postgres answered `SELECT 1` in time.")
    broker: bool = Field(description="A Kafka broker answered a metadata request in time.")


def health_routes(health: HealthProbe, registry: CollectorRegistry) -> APIRouter:
    """The routes that stay open whether or not an API token is configured."""
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", summary="Liveness")
    async def healthz() -> Liveness:
        """The process is alive and serving HTTP; says nothing about its dependencies."""
        return Liveness(alive=True)

    @router.get(
        "/readyz",
        summary="Readiness",
        responses={503: {"model": Readiness, "description": "A dependency is unreachable."}},
    )
    async def readyz(response: Response) -> Readiness:
        """Postgres and Kafka both reachable (checked in parallel, each within a timeout)."""
        database, broker = await asyncio.gather(health.database(), health.broker())
        if not (database and broker):
            response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
        return Readiness(ready=database and broker, database=database, broker=broker)

    @router.get(
        "/metrics",
        summary="Prometheus metrics",
        response_class=Response,
        responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}},
    )
    async def metrics() -> Response:
        """The service's metrics in the Prometheus text exposition format."""
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return router
