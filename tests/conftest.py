"""Session fixtures: real Kafka and real Postgres (see tests/infra.py), isolated per module."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest

from tests.infra import Endpoint, database_endpoint, kafka_endpoint, unique_name, with_database


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
    admin = await asyncpg.connect(postgres.address, timeout=10)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture
def topic(request: pytest.FixtureRequest) -> str:
    """A topic name no other test uses."""
    return unique_name("test", request.node.name).replace("_", "-")
