"""Fault drills that stop a server: a Kafka broker and a Postgres cluster of the drills' own.

The shared local stack is never stopped: each module-scoped fixture starts a private server
from the local stack's own code (``LocalStackSettings`` with free ports, data under a temp
dir), which a drill stops and starts again on the same port and data dir. The service runs as
a subprocess; if it exits during an outage the drill starts it again, as a supervisor would,
and the table says so. Every drill ends with ``drills.verify`` (see test_drills.py). These
drills are ``slow``: ``make drills`` runs them, ``make test`` does not.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import LedgerDatabase
from tests.e2e.drills import (
    DrillRow,
    PrivateKafka,
    PrivatePostgres,
    ServiceProcess,
    Stream,
    at_least,
    committed_ahead_of_db,
    drill_settings,
    fresh_database,
    group_caught_up,
    hold,
    prepare,
    printed_results,
    processed_count,
    settle,
    simulated,
    until,
    verify,
)
from tests.e2e.support import Topics
from tests.infra import Endpoint

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SEED = int(os.environ.get("DRILL_SEED", "20261125"))
DOWN_S = 5.0
"""How long a stopped server stays down (before its start, which takes seconds more)."""


@pytest.fixture(scope="module", autouse=True)
def _results_table() -> Iterator[None]:
    with printed_results(f"fault drills: server outages (DRILL_SEED={SEED})"):
        yield


@pytest.fixture(scope="module")
async def private_kafka(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[PrivateKafka]:
    """A one-node Kafka of this module's own, on free ports, data in a temp dir."""
    kafka = PrivateKafka.at(tmp_path_factory.mktemp("private-stack"))
    try:
        await kafka.start()
        yield kafka
    finally:
        kafka.close()


@pytest.fixture(scope="module")
async def private_postgres(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[PrivatePostgres]:
    """A Postgres cluster of this module's own, on a free port."""
    postgres = PrivatePostgres.at(tmp_path_factory.mktemp("private-stack"))
    try:
        await postgres.start()
        yield postgres
    finally:
        postgres.close()


@pytest.fixture
async def drill_db(
    postgres: Endpoint, app_role: str, request: pytest.FixtureRequest
) -> AsyncIterator[LedgerDatabase]:
    """A fresh migrated database on the shared Postgres (for the broker drill)."""
    async with fresh_database(postgres.address, app_role, request.node.name) as db:
        yield db


@pytest.fixture
async def private_db(
    private_postgres: PrivatePostgres, request: pytest.FixtureRequest
) -> AsyncIterator[LedgerDatabase]:
    """A fresh migrated database on the private cluster (for the Postgres drill)."""
    async with fresh_database(
        private_postgres.owner_dsn, private_postgres.app_role, request.node.name
    ) as db:
        yield db


Outage = Callable[[str], Awaitable[str]]
"""Stop a server one way (the argument says how), keep it down, start it: how long each took."""


async def _outages(
    bootstrap: str,
    db: LedgerDatabase,
    topics: Topics,
    stream: Stream,
    proc: ServiceProcess,
    faults: list[tuple[float, str]],
    outage: Outage,
) -> list[str]:
    """Run the service; at each (fraction processed, how) cause an outage; settle; stop."""
    dsn = db.owner_dsn
    done = []
    proc.start()
    for fraction, how in faults:
        target = int(stream.processed * fraction)
        await until(
            functools.partial(at_least, dsn, target), 90, f"{target}", proc.restart_if_exited
        )
        at = await processed_count(dsn)
        done.append(f"{how} at {at}/{stream.processed} ({await outage(how)})")
    await settle(dsn, stream, 120, proc.restart_if_exited)
    await until(
        lambda: group_caught_up(bootstrap, topics.group, topics), 60, "acks", proc.restart_if_exited
    )
    ahead = await committed_ahead_of_db(bootstrap, topics.group, dsn)
    assert not ahead, f"offsets committed ahead of the DB: {ahead[:5]}"
    proc.terminate()
    code = await proc.exited(proc.settings.shutdown_timeout_s + 5)
    assert code == 0, f"exit code {code}\n{proc.tail()}"
    return done


def _restarts(proc: ServiceProcess) -> str:
    if not proc.exits:
        return "service rode it out (no exit)"
    return f"service exited {proc.exits}, restarted by the drill"


@pytest.mark.timeout(360)
async def test_broker_stopped_and_started_mid_stream(
    private_kafka: PrivateKafka, drill_db: LedgerDatabase, topic: str, tmp_path: Path
) -> None:
    """The broker stops mid-stream twice (SIGTERM: a controlled shutdown; then SIGKILL) for
    DOWN_S seconds and starts again on the same port and data dir; consumer and relay carry
    on once it is back: exact books, every outbox row on the topic, offsets never ahead."""
    started = time.monotonic()
    bootstrap = private_kafka.bootstrap
    topics, stream = await prepare(bootstrap, topic, lambda t: simulated(t, 10_000, SEED + 9))
    settings = drill_settings(bootstrap, drill_db, topics)
    proc = ServiceProcess(settings, tmp_path / "service.log")

    async def outage(how: str) -> str:
        began = time.monotonic()
        await (private_kafka.stop() if how == "SIGTERM" else private_kafka.kill())
        stopped = time.monotonic() - began
        await hold(DOWN_S, proc.restart_if_exited)
        return (
            f"stop {stopped:.0f}s + down {DOWN_S:.0f}s + start {await private_kafka.start():.0f}s"
        )

    try:
        done = await _outages(
            bootstrap, drill_db, topics, stream, proc, [(0.25, "SIGTERM"), (0.6, "SIGKILL")], outage
        )
    finally:
        proc.cleanup()
    print("\nbroker: " + "; ".join(done) + f"; {_restarts(proc)}")
    row = DrillRow(
        "Kafka broker stop/start (private node) x2",
        len(stream.messages),
        "broker " + "; ".join(done) + f"; {_restarts(proc)}",
    )
    row.seconds = time.monotonic() - started
    await verify(bootstrap, drill_db, topics, stream, row)


@pytest.mark.timeout(360)
async def test_postgres_stopped_and_started_mid_stream(
    kafka_bootstrap: str,
    private_postgres: PrivatePostgres,
    private_db: LedgerDatabase,
    topic: str,
    tmp_path: Path,
) -> None:
    """The whole Postgres cluster stops mid-stream twice (``pg_ctl stop -m fast``: sessions
    terminated, connections refused) for DOWN_S seconds and starts again; the batch in flight
    rolls back and is retried, the relay reconnects: exact books, nothing lost or doubled."""
    started = time.monotonic()
    topics, stream = await prepare(
        kafka_bootstrap, topic, lambda t: simulated(t, 10_000, SEED + 13)
    )
    settings = drill_settings(kafka_bootstrap, private_db, topics)
    proc = ServiceProcess(settings, tmp_path / "service.log")

    async def outage(how: str) -> str:
        began = time.monotonic()
        await private_postgres.stop()
        stopped = time.monotonic() - began
        await hold(DOWN_S, proc.restart_if_exited)
        up = await private_postgres.start()
        return f"stop {stopped:.0f}s + down {DOWN_S:.0f}s + start {up:.0f}s"

    try:
        done = await _outages(
            kafka_bootstrap,
            private_db,
            topics,
            stream,
            proc,
            [(0.25, "pg_ctl stop -m fast"), (0.6, "pg_ctl stop -m fast")],
            outage,
        )
    finally:
        proc.cleanup()
    print("\npostgres: " + "; ".join(done) + f"; {_restarts(proc)}")
    row = DrillRow(
        "Postgres stop -m fast/start (private) x2",
        len(stream.messages),
        "; ".join(done) + f"; {_restarts(proc)}",
    )
    row.seconds = time.monotonic() - started
    await verify(kafka_bootstrap, private_db, topics, stream, row)
