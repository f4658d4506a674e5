"""The story written once per test module, a pool on it, and a client of the app over that pool."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
from prometheus_client import CollectorRegistry

from inventory_ledger.adapters.http.api import create_api
from inventory_ledger.metrics import LedgerMetrics
from inventory_ledger.settings import Settings
from tests.conftest import LedgerDatabase
from tests.integration.adapters.http.story import write_story

MAX_PAGE = 10


class Probe:
    """A health probe that says what it is told."""

    def __init__(self, database: bool = True, broker: bool = True) -> None:
        self._database, self._broker = database, broker

    async def database(self) -> bool:
        return self._database

    async def broker(self) -> bool:
        return self._broker


@pytest.fixture(scope="module")
async def pool(ledger_db: LedgerDatabase) -> AsyncIterator[asyncpg.Pool]:
    """An app-role pool on the module's database, after the story was written."""
    await write_story(ledger_db.app_dsn)
    pool = await asyncpg.create_pool(ledger_db.app_dsn, min_size=1, max_size=4)
    try:
        yield pool
    finally:
        await pool.close()


@pytest.fixture
def metrics() -> LedgerMetrics:
    return LedgerMetrics.create(CollectorRegistry())


@pytest.fixture
async def client(pool: asyncpg.Pool, metrics: LedgerMetrics) -> AsyncIterator[httpx.AsyncClient]:
    """The app without a token, pages of at most ``MAX_PAGE``, a probe that says all is well."""
    settings = Settings(api_default_page_size=5, api_max_page_size=MAX_PAGE, api_token=None)
    app = create_api(settings, pool, Probe(), registry=metrics.registry)
    transport = httpx.ASGITransport(app)
    async with httpx.AsyncClient(transport=transport, base_url="http://ledger") as c:
        yield c
