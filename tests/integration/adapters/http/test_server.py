"""The embedded server: real sockets, clean stop, an error on a taken port, signals untouched."""

from __future__ import annotations

import signal

import asyncpg
import httpx
import pytest

from inventory_ledger.adapters.http.api import create_api
from inventory_ledger.adapters.http.server import HttpServer, HttpServerError
from inventory_ledger.metrics import LedgerMetrics
from inventory_ledger.settings import Settings
from tests.integration.adapters.http.conftest import Probe

pytestmark = [pytest.mark.integration, pytest.mark.timeout(30)]


async def test_serves_over_tcp_and_stops_leaving_signal_handlers_alone(
    pool: asyncpg.Pool, metrics: LedgerMetrics
) -> None:
    app = create_api(Settings(), pool, Probe(), registry=metrics.registry)
    before = signal.getsignal(signal.SIGTERM)
    server = HttpServer(app, "127.0.0.1", 0)
    await server.start()
    try:
        assert signal.getsignal(signal.SIGTERM) is before
        base = f"http://127.0.0.1:{server.port}"
        async with httpx.AsyncClient(base_url=base, timeout=5) as client:
            alive = await client.get("/healthz")
            rows = await client.get("/v1/balances", params={"lic": "A-1"})
        assert alive.json() == {"alive": True}
        assert rows.json()[0]["on_hand"] == "4"

        taken = HttpServer(app, "127.0.0.1", server.port)
        with pytest.raises(HttpServerError, match="could not start"):
            await taken.start()
    finally:
        await server.stop(timeout_s=5)
    assert signal.getsignal(signal.SIGTERM) is before
    async with httpx.AsyncClient(timeout=2) as client:
        with pytest.raises(httpx.ConnectError):
            await client.get(f"{base}/healthz")
