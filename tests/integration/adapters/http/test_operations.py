"""Dead letters, the bearer token, liveness, readiness against real Postgres and Kafka, metrics."""

from __future__ import annotations

import base64
import socket

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from inventory_ledger.adapters.http.api import create_api
from inventory_ledger.adapters.http.health import ServiceHealthProbe
from inventory_ledger.adapters.postgres.dead_letters import record_dead_letters
from inventory_ledger.application.dead_letter import DeadLetter, MessageSource
from inventory_ledger.metrics import LedgerMetrics
from inventory_ledger.settings import Settings
from tests.integration.adapters.http.conftest import Probe

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

TOKEN = "s3cret-token"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://ledger")


@pytest.fixture(scope="module")
async def letters(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        await record_dead_letters(
            conn,
            [
                DeadLetter(
                    source=MessageSource("sales.v1", 1, offset),
                    key=b"O-9" if offset else None,
                    value=b"\xff{not json",
                    headers=(("trace", b"\x01"), ("empty", None)),
                    reason=reason,
                    message=f"bad message {offset}",
                    event_id=None,
                    event_type=None,
                )
                for offset, reason in enumerate(["not_json", "schema", "not_json"])
            ],
        )


@pytest.mark.usefixtures("letters")
async def test_dead_letters_are_listed_oldest_first_with_bytes_in_base64(
    client: httpx.AsyncClient,
) -> None:
    every = (await client.get("/v1/dead-letters")).json()
    assert [(d["source_offset"], d["reason"]) for d in every] == [
        (0, "not_json"),
        (1, "schema"),
        (2, "not_json"),
    ]
    first = every[0]
    assert base64.b64decode(first["value"]) == b"\xff{not json"
    assert first["key"] is None
    assert first["headers"] == [{"key": "trace", "value": "AQ=="}, {"key": "empty", "value": None}]
    assert first["source_topic"] == "sales.v1"
    assert first["replayed_at"] is None

    only = (await client.get("/v1/dead-letters", params={"reason": "not_json", "limit": 1})).json()
    assert [d["source_offset"] for d in only] == [0]
    bad = await client.get("/v1/dead-letters", params={"reason": "Not Json"})
    assert bad.status_code == 422


async def test_the_token_guards_v1_but_not_health_or_metrics(
    pool: asyncpg.Pool, metrics: LedgerMetrics
) -> None:
    app = create_api(Settings(api_token=SecretStr(TOKEN)), pool, Probe(), registry=metrics.registry)
    async with _client(app) as client:
        for path in (
            *("/v1/balances", "/v1/transactions", "/v1/lots", "/v1/usage"),
            *("/v1/reconciliation", "/v1/dead-letters"),
        ):
            missing = await client.get(path)
            wrong = await client.get(path, headers={"Authorization": f"Bearer {TOKEN}x"})
            basic = await client.get(path, headers={"Authorization": f"Basic {TOKEN}"})
            right = await client.get(path, headers={"Authorization": f"Bearer {TOKEN}"})
            assert [missing.status_code, wrong.status_code, basic.status_code] == [401] * 3, path
            assert missing.headers["www-authenticate"] == "Bearer"
            assert right.status_code == 200, path
        for path in ("/healthz", "/readyz", "/metrics"):
            assert (await client.get(path)).status_code == 200, path


async def test_an_empty_configured_token_locks_the_api(
    pool: asyncpg.Pool, metrics: LedgerMetrics
) -> None:
    app = create_api(Settings(api_token=SecretStr("")), pool, Probe(), registry=metrics.registry)
    async with _client(app) as client:
        assert (await client.get("/v1/balances")).status_code == 401
        empty = await client.get("/v1/balances", headers={"Authorization": "Bearer "})
        assert empty.status_code == 401


async def test_readyz_is_ready_when_postgres_and_kafka_answer(
    pool: asyncpg.Pool, metrics: LedgerMetrics, kafka_bootstrap: str
) -> None:
    probe = ServiceHealthProbe(pool, {"bootstrap_servers": kafka_bootstrap}, timeout_s=5)
    async with _client(create_api(Settings(), pool, probe, registry=metrics.registry)) as c:
        response = await c.get("/readyz")
        alive = await c.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"ready": True, "database": True, "broker": True}
    assert alive.json() == {"alive": True}


async def test_readyz_is_503_when_the_broker_port_is_closed(
    pool: asyncpg.Pool, metrics: LedgerMetrics
) -> None:
    probe = ServiceHealthProbe(pool, {"bootstrap_servers": f"127.0.0.1:{_closed_port()}"}, 2)
    async with _client(create_api(Settings(), pool, probe, registry=metrics.registry)) as c:
        response = await c.get("/readyz")
        alive = await c.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"ready": False, "database": True, "broker": False}
    assert alive.status_code == 200


async def test_readyz_is_503_when_the_database_is_gone(
    metrics: LedgerMetrics, kafka_bootstrap: str
) -> None:
    dead_pool = await asyncpg.create_pool(
        f"postgresql://nobody:nothing@127.0.0.1:{_closed_port()}/none", min_size=0, max_size=1
    )
    try:
        probe = ServiceHealthProbe(dead_pool, {"bootstrap_servers": kafka_bootstrap}, 2)
        app = create_api(Settings(), dead_pool, probe, registry=metrics.registry)
        async with _client(app) as c:
            ready = await c.get("/readyz")
            query = await c.get("/v1/balances")
    finally:
        await dead_pool.close()
    assert ready.status_code == 503
    assert ready.json() == {"ready": False, "database": False, "broker": True}
    assert query.status_code == 503
    assert query.headers["retry-after"] == "5"


async def test_metrics_expose_the_service_metrics(
    client: httpx.AsyncClient, metrics: LedgerMetrics
) -> None:
    metrics.events_applied.labels(topic="sales.v1", event_type="order.opened").inc(3)
    metrics.consumer_lag.labels(topic="sales.v1", partition="0").set(7)
    metrics.batch_size.observe(42)
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    for name in (
        "inventory_ledger_events_consumed_total",
        "inventory_ledger_events_applied_total",
        "inventory_ledger_events_rejected_total",
        "inventory_ledger_batch_records",
        "inventory_ledger_batch_duration_seconds",
        "inventory_ledger_consumer_lag_records",
        "inventory_ledger_outbox_backlog_rows",
    ):
        assert f"# TYPE {name} " in text, name
    assert (
        'inventory_ledger_events_applied_total{event_type="order.opened",topic="sales.v1"} 3.0'
        in text
    )
    assert 'inventory_ledger_consumer_lag_records{partition="0",topic="sales.v1"} 7.0' in text


async def test_openapi_documents_every_route(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    assert set(spec["paths"]) == {
        "/v1/balances",
        "/v1/transactions",
        "/v1/lots",
        "/v1/usage",
        "/v1/reconciliation",
        "/v1/dead-letters",
        "/healthz",
        "/readyz",
        "/metrics",
    }
    assert "null" in spec["paths"]["/v1/reconciliation"]["get"]["description"]
    assert (await client.get("/docs")).status_code == 200
