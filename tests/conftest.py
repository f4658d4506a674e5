"""Session fixtures: real Kafka and real Postgres (see tests/infra.py), isolated per module."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
import structlog
from hypothesis import HealthCheck, settings

from inventory_ledger.adapters.postgres.migrations import migrate
from inventory_ledger.local_stack.process import blocking
from tests.infra import (
    Endpoint,
    database_endpoint,
    drop_database,
    kafka_endpoint,
    unique_name,
    with_database,
)

# A failed batch is logged with its traceback. structlog's default console renderer draws it
# with every frame's locals (a batch of 500 events: tens of thousands of lines, seconds of
# CPU that block the event loop the in-process service shares with the test); the service's
# own configuration (inventory_ledger.logs) prints plain tracebacks, and so do the tests.
structlog.configure(
    processors=[
        *structlog.get_config()["processors"][:-1],
        structlog.dev.ConsoleRenderer(exception_formatter=structlog.dev.plain_traceback),
    ]
)

# CI machines are small and busy: data generation may be slow, never a reason to fail a test.
settings.register_profile("ledger", suppress_health_check=[HealthCheck.too_slow], deadline=None)
settings.load_profile("ledger")


@pytest.fixture(scope="session")
def kafka() -> Iterator[Endpoint]:
    """A real Kafka broker (env → testcontainers → native stack)."""
    with kafka_endpoint() as endpoint:
        yield endpoint


@pytest.fixture(scope="session")
def kafka_bootstrap(kafka: Endpoint) -> str:
    return kafka.address


@pytest.fixture(scope="session")
def postgres() -> Iterator[Endpoint]:
    """A real Postgres server (env → testcontainers → native stack)."""
    with database_endpoint() as endpoint:
        yield endpoint


@pytest.fixture(scope="module")
async def database_url(postgres: Endpoint, request: pytest.FixtureRequest) -> AsyncIterator[str]:
    """A fresh database for one test module, dropped afterwards."""
    name = unique_name("t", request.module.__name__.rsplit(".", 1)[-1])
    admin = await asyncpg.connect(postgres.address, timeout=10)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    yield with_database(postgres.address, name)
    await drop_database(postgres.address, name)


@pytest.fixture
def topic(request: pytest.FixtureRequest) -> str:
    """A topic name no other test uses."""
    return unique_name("test", request.node.name).replace("_", "-")


TEST_APP_ROLE = "ledger_app_test"


@pytest.fixture(scope="session")
def app_role(postgres: Endpoint) -> str:
    """An application role for the suite (the owner role may CREATE ROLE in every setup)."""

    async def _ensure() -> None:
        conn = await asyncpg.connect(postgres.address, timeout=10)
        try:
            exists = await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", TEST_APP_ROLE)
            if not exists:
                await conn.execute(f"CREATE ROLE {TEST_APP_ROLE} LOGIN PASSWORD '{TEST_APP_ROLE}'")
        except asyncpg.DuplicateObjectError:
            pass
        try:
            # membership lets DROP DATABASE ... WITH (FORCE) end the role's leftover sessions
            await conn.execute(f"GRANT {TEST_APP_ROLE} TO CURRENT_USER")
        except asyncpg.InsufficientPrivilegeError:
            pass  # a database given by the environment may not allow it; drops may then wait
        finally:
            await conn.close()

    blocking(_ensure)
    return TEST_APP_ROLE


@dataclass(frozen=True)
class LedgerDatabase:
    """A migrated database for one test module: the owner's DSN and the app role's DSN."""

    owner_dsn: str
    app_dsn: str


@pytest.fixture(scope="module")
async def ledger_db(database_url: str, app_role: str) -> LedgerDatabase:
    """A fresh database with every migration applied, for one test module."""
    await migrate(database_url, app_role=app_role)
    parts = urlsplit(database_url)
    netloc = f"{app_role}:{app_role}@{parts.hostname}:{parts.port or 5432}"
    return LedgerDatabase(database_url, urlunsplit(parts._replace(netloc=netloc)))
