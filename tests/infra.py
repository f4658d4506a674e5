"""Where the test suite's real Kafka and real Postgres come from.

Order, per component: the environment (``KAFKA_BOOTSTRAP_SERVERS`` / ``DATABASE_URL``) →
testcontainers when a Docker engine answers → the project's native local stack. Never a mock.
"""

from __future__ import annotations

import functools
import os
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

__all__ = [
    "Endpoint",
    "database_endpoint",
    "docker_engine_answers",
    "kafka_endpoint",
    "unique_name",
    "with_database",
]


@dataclass(frozen=True)
class Endpoint:
    """An address of a real server and where it came from (env, testcontainers, native)."""

    address: str
    source: str


@functools.cache
def docker_engine_answers() -> bool:
    """Whether a Docker engine answers a ping within a few seconds."""
    try:
        import docker

        client = docker.from_env(timeout=3)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:
        return False


def _native_stack():  # type: ignore[no-untyped-def]
    from inventory_ledger.local_stack import LocalStack

    return LocalStack.from_settings()


@contextmanager
def kafka_endpoint() -> Iterator[Endpoint]:
    """A real Kafka bootstrap address for the whole session."""
    if env := os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        yield Endpoint(env, "env")
    elif docker_engine_answers():
        from testcontainers.kafka import KafkaContainer

        with KafkaContainer().with_kraft() as kafka:
            yield Endpoint(kafka.get_bootstrap_server(), "testcontainers")
    else:
        stack = _native_stack()
        was_running = stack.kafka.pid() is not None
        stack.kafka.start()
        try:
            yield Endpoint(stack.kafka_bootstrap, "native")
        finally:
            if not was_running:
                stack.kafka.stop()


@contextmanager
def database_endpoint() -> Iterator[Endpoint]:
    """A real Postgres DSN of a role that may CREATE DATABASE, for the whole session."""
    if env := os.environ.get("DATABASE_URL"):
        yield Endpoint(env, "env")
    elif docker_engine_answers():
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer("postgres:15-alpine", driver=None) as pg:
            yield Endpoint(pg.get_connection_url(), "testcontainers")
    else:
        stack = _native_stack()
        was_running = stack.postgres.pid() is not None
        stack.postgres.start()
        try:
            yield Endpoint(stack.database_url("owner"), "native")
        finally:
            if not was_running:
                stack.postgres.stop()


def with_database(dsn: str, database: str) -> str:
    """The same DSN pointing at another database."""
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path=f"/{database}"))


def unique_name(prefix: str, hint: str = "") -> str:
    """A name unique to this run, safe for topics and databases (``[a-z0-9_]``)."""
    clean = re.sub(r"[^a-z0-9]+", "_", hint.lower()).strip("_")[:24]
    return f"{prefix}_{clean}_{uuid.uuid4().hex[:10]}".replace("__", "_")


async def migrated_database(owner_dsn: str, app_role: str, hint: str) -> str:
    """A new database (a unique name from ``hint``) with every migration applied; its name.

    Drop it with :func:`drop_database`; reach it with :func:`with_database`.
    """
    import asyncpg

    from inventory_ledger.adapters.postgres.migrations import migrate

    name = unique_name("t", hint)
    admin = await asyncpg.connect(owner_dsn, timeout=10)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    await migrate(with_database(owner_dsn, name), app_role=app_role)
    return name


async def drop_database(admin_dsn: str, name: str, attempts: int = 20) -> None:
    """Drop a test database and its sessions.

    ``WITH (FORCE)`` ends the sessions of roles the admin is a member of, but a non-superuser
    may not end an autovacuum worker, so that case falls back to a plain ``DROP DATABASE``
    (which cancels autovacuum itself), retried while sessions are still closing.
    """
    import asyncpg

    admin = await asyncpg.connect(admin_dsn, timeout=10)
    try:
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        except asyncpg.InsufficientPrivilegeError:
            await _drop_plain(admin, name, attempts)
    finally:
        await admin.close()


async def _drop_plain(admin: Any, name: str, attempts: int) -> None:
    import asyncio

    import asyncpg

    for attempt in range(attempts):
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        except asyncpg.ObjectInUseError:
            if attempt == attempts - 1:
                raise
            await asyncio.sleep(0.5)
        else:
            return
