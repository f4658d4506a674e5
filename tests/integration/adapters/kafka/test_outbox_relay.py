"""The outbox relay on a real broker and a real database: order, acks, restarts, failover."""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import pytest
from structlog.testing import capture_logs

from inventory_ledger.adapters.kafka.outbox_relay import OutboxRelay
from inventory_ledger.adapters.postgres.dead_letters import record_dead_letters
from inventory_ledger.application.dead_letter import DeadLetter, MessageSource
from tests.conftest import LedgerDatabase
from tests.integration.adapters.kafka.conftest import (
    Received,
    eventually,
    insert_outbox,
    payload,
    read_topic,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(30)]

FAST: dict[str, Any] = {"request_timeout_ms": 3_000, "retry_backoff_ms": 50}


def make_relay(
    db: LedgerDatabase, bootstrap: str, topics: tuple[str, str], **kw: Any
) -> OutboxRelay:
    options: dict[str, Any] = {
        "poll_interval_s": 0.2,
        "send_timeout_s": 5,
        "backoff_initial_s": 0.1,
        "backoff_max_s": 0.5,
        "producer_options": FAST,
    } | kw
    return OutboxRelay(
        dsn=db.app_dsn,
        bootstrap_servers=bootstrap,
        balance_changed_topic=topics[0],
        dead_letter_topic=topics[1],
        **options,
    )


@asynccontextmanager
async def running(relay: OutboxRelay) -> AsyncIterator[OutboxRelay]:
    await relay.start()
    try:
        yield relay
    finally:
        await relay.stop(timeout_s=10)


async def unpublished(conn: asyncpg.Connection) -> int:
    n: int = await conn.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL")
    return n


async def all_published(conn: asyncpg.Connection) -> bool:
    return await unpublished(conn) == 0


def versions_by_key(messages: Sequence[Received]) -> dict[bytes | None, list[int]]:
    by_key: dict[bytes | None, list[int]] = defaultdict(list)
    for m in sorted(messages, key=lambda m: (m.partition, m.offset)):
        by_key[m.key].append(json.loads(m.value)["data"]["version"])
    return dict(by_key)


async def test_rows_go_out_in_version_order_per_key_with_key_value_and_headers(
    ledger_db: LedgerDatabase, kafka_bootstrap: str, topics: tuple[str, str], app_conn: Any
) -> None:
    for version in range(1, 8):  # interleaved keys, each in version order
        for lic in ("W-1", "W-2", "W-3"):
            await insert_outbox(app_conn, "main", lic, version)
    async with running(make_relay(ledger_db, kafka_bootstrap, topics, batch_size=4)):
        await eventually(lambda: all_published(app_conn), what="outbox drained")
    got = await read_topic(kafka_bootstrap, topics[0], want=21)

    assert versions_by_key(got) == {f"main/W-{i}".encode(): list(range(1, 8)) for i in (1, 2, 3)}
    one = next(m for m in got if m.key == b"main/W-2" and m.headers["version"] == b"3")
    assert json.loads(one.value) == payload("main", "W-2", 3)
    assert one.headers["event_id"] == b"bc-main-W-2-3"
    assert one.headers["event_type"] == b"inventory.balance_changed"


async def test_only_acknowledged_rows_are_marked_and_a_key_stops_at_its_failure(
    ledger_db: LedgerDatabase, kafka_bootstrap: str, topics: tuple[str, str], app_conn: Any
) -> None:
    await insert_outbox(app_conn, "main", "A", 1)
    huge = payload("main", "A", 2) | {"padding": "x" * 5_000}  # over max_request_size below
    await app_conn.execute(
        "INSERT INTO outbox (event_id, location, lic, version, payload) VALUES ($1,$2,$3,$4,$5)",
        "bc-main-A-2", "main", "A", 2, json.dumps(huge),
    )  # fmt: skip
    await insert_outbox(app_conn, "main", "A", 3)
    await insert_outbox(app_conn, "main", "B", 1)
    relay = make_relay(
        ledger_db, kafka_bootstrap, topics, producer_options=FAST | {"max_request_size": 2_000}
    )
    async with running(relay):
        await eventually(lambda: _has_error(relay), what="the failure to be reported")
        await asyncio.sleep(0.5)  # a few more retries: still nothing more marked
        marked = await app_conn.fetch(
            "SELECT lic, version FROM outbox WHERE published_at IS NOT NULL ORDER BY id"
        )
    assert [(r["lic"], r["version"]) for r in marked] == [("A", 1), ("B", 1)]
    assert relay.last_error is not None
    assert "MessageSizeTooLarge" in relay.last_error
    got = await read_topic(kafka_bootstrap, topics[0], want=2, timeout_s=3)
    assert versions_by_key(got) == {b"main/A": [1], b"main/B": [1]}, "A-3 waits for A-2"


async def _has_error(relay: OutboxRelay) -> bool:
    return relay.last_error is not None


async def test_restart_republishes_nothing_marked_and_everything_unmarked(
    ledger_db: LedgerDatabase, kafka_bootstrap: str, topics: tuple[str, str], app_conn: Any
) -> None:
    for version in range(1, 6):
        await insert_outbox(app_conn, "main", "R", version)
    async with running(make_relay(ledger_db, kafka_bootstrap, topics)):
        await eventually(lambda: all_published(app_conn), what="first run")
    for version in range(6, 11):  # committed while no relay runs
        await insert_outbox(app_conn, "main", "R", version)
    async with running(make_relay(ledger_db, kafka_bootstrap, topics)):
        await eventually(lambda: all_published(app_conn), what="second run")
    got = await read_topic(kafka_bootstrap, topics[0], want=10)
    assert versions_by_key(got) == {b"main/R": list(range(1, 11))}, "no duplicate, no gap"


async def test_broker_down_marks_nothing_logs_clearly_and_recovers(
    ledger_db: LedgerDatabase, kafka_bootstrap: str, topics: tuple[str, str], app_conn: Any
) -> None:
    for version in (1, 2, 3):
        await insert_outbox(app_conn, "main", "D", version)
    port = _free_port()
    relay = make_relay(ledger_db, f"127.0.0.1:{port}", topics)
    with capture_logs() as logs:
        async with running(relay):
            await eventually(lambda: _has_error(relay), what="the broker failure")
            await asyncio.sleep(0.5)
            assert await unpublished(app_conn) == 3, "nothing may be marked while down"
            assert relay.active, "a broker outage does not give up the relay lock"
            proxy = await _forward(port, kafka_bootstrap)  # the broker "comes back"
            try:
                await eventually(lambda: all_published(app_conn), timeout_s=15, what="recovery")
            finally:
                proxy.close()
    failures = [e for e in logs if e["event"].startswith("outbox relay pass failed")]
    assert failures, "the outage must be logged"
    assert "KafkaConnectionError" in failures[0]["error"]
    assert relay.last_error is None, "cleared by the first good pass"
    got = await read_topic(kafka_bootstrap, topics[0], want=3)
    assert versions_by_key(got) == {b"main/D": [1, 2, 3]}


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def _forward(port: int, target: str) -> asyncio.Server:
    """A TCP forwarder on ``port`` to the real broker (bootstrap only; metadata names 9092)."""
    host, target_port = target.rsplit(":", 1)

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(host, int(target_port))
        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    return await asyncio.start_server(handle, "127.0.0.1", port)


async def test_two_relays_one_active_each_row_once_in_order_and_failover(
    ledger_db: LedgerDatabase, kafka_bootstrap: str, topics: tuple[str, str], app_conn: Any
) -> None:
    first = make_relay(ledger_db, kafka_bootstrap, topics, name="relay-a", batch_size=3)
    second = make_relay(ledger_db, kafka_bootstrap, topics, name="relay-b", batch_size=3)
    async with running(first), running(second):
        for version in range(1, 11):
            for lic in ("T-1", "T-2"):
                await insert_outbox(app_conn, "main", lic, version)
            first.notify()
            second.notify()
        await eventually(lambda: all_published(app_conn), what="outbox drained")
        assert [first.active, second.active].count(True) == 1
        holder, _standby = (first, second) if first.active else (second, first)
        # the holder's session dies (crash, network): the lock goes with it
        killed = await app_conn.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE application_name = $1",
            "relay-a" if holder is first else "relay-b",
        )
        assert killed == 1
        for version in range(11, 16):
            await insert_outbox(app_conn, "main", "T-1", version)
        await eventually(lambda: all_published(app_conn), timeout_s=15, what="failover")
        assert [first.active, second.active].count(True) == 1
    got = await read_topic(kafka_bootstrap, topics[0], want=25)
    assert versions_by_key(got) == {
        b"main/T-1": list(range(1, 16)),
        b"main/T-2": list(range(1, 11)),
    }


async def test_a_long_open_transaction_delays_its_row_but_never_skips_it(
    ledger_db: LedgerDatabase, kafka_bootstrap: str, topics: tuple[str, str], app_conn: Any
) -> None:
    slow = await asyncpg.connect(ledger_db.app_dsn)
    try:
        async with running(make_relay(ledger_db, kafka_bootstrap, topics)):
            tx = slow.transaction()
            await tx.start()
            early_id = await insert_outbox(slow, "main", "L-1", 1)  # lower id, not committed
            late_id = await insert_outbox(app_conn, "main", "L-2", 1)  # higher id, committed
            assert early_id < late_id
            await eventually(lambda: all_published(app_conn), what="the committed row")
            await asyncio.sleep(0.5)  # several passes run past the open transaction
            await tx.commit()
            await eventually(lambda: all_published(app_conn), what="the late-committed row")
    finally:
        await slow.close()
    got = await read_topic(kafka_bootstrap, topics[0], want=2)
    assert versions_by_key(got) == {b"main/L-1": [1], b"main/L-2": [1]}


async def test_notify_wakes_an_idle_relay_and_stop_is_graceful(
    ledger_db: LedgerDatabase, kafka_bootstrap: str, topics: tuple[str, str], app_conn: Any
) -> None:
    relay = make_relay(ledger_db, kafka_bootstrap, topics, poll_interval_s=60)
    async with running(relay):
        await eventually(lambda: _is_active(relay), what="the relay lock")
        await asyncio.sleep(0.3)  # now idle for up to a minute
        await insert_outbox(app_conn, "main", "N", 1)
        relay.notify()
        await eventually(lambda: all_published(app_conn), timeout_s=5, what="wake-up")
    assert not relay.active
    holders = await app_conn.fetchval(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
        " AND (classid::bigint << 32) + objid::bigint = 7302519002"
        " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    )
    assert holders == 0, "stop() releases the relay lock"


async def _is_active(relay: OutboxRelay) -> bool:
    return relay.active


async def test_notify_wakes_only_the_sources_it_names(
    ledger_db: LedgerDatabase, kafka_bootstrap: str, topics: tuple[str, str], app_conn: Any
) -> None:
    """A batch that wrote no dead letters costs no dead-letter scan; its outbox rows still go
    out at once, and the other source's rows wait for that source's own poll."""
    relay = make_relay(ledger_db, kafka_bootstrap, topics, poll_interval_s=60)
    letter = DeadLetter(
        source=MessageSource("sales.v1", 0, 1), key=b"K", value=b"{", headers=(),
        reason="not_json", message="unexpected end of input",
    )  # fmt: skip
    async with running(relay):
        await eventually(lambda: _is_active(relay), what="the relay lock")
        await asyncio.sleep(0.3)  # both sources idle for up to a minute
        async with app_conn.transaction():
            await insert_outbox(app_conn, "main", "O", 1)
            await record_dead_letters(app_conn, [letter])
        relay.notify(outbox=True, dead_letters=False)
        await eventually(lambda: all_published(app_conn), timeout_s=5, what="outbox wake-up")
        await asyncio.sleep(0.5)
        assert await _dead_letters_pending(app_conn) == 1, "the dead-letter source slept on"
        relay.notify(outbox=False, dead_letters=True)
        await eventually(
            lambda: _no_dead_letters_pending(app_conn), timeout_s=5, what="dead-letter wake-up"
        )
    got = await read_topic(kafka_bootstrap, topics[1], want=1)
    assert [m.key for m in got] == [b"K"]


async def _dead_letters_pending(conn: asyncpg.Connection) -> int:
    n: int = await conn.fetchval("SELECT count(*) FROM dead_letters WHERE published_at IS NULL")
    return n


async def _no_dead_letters_pending(conn: asyncpg.Connection) -> bool:
    return await _dead_letters_pending(conn) == 0


async def test_a_keys_rows_from_one_transaction_go_out_in_version_order_whatever_their_ids(
    ledger_db: LedgerDatabase, kafka_bootstrap: str, topics: tuple[str, str], app_conn: Any
) -> None:
    async with app_conn.transaction():
        for version in (3, 1, 2):  # ids ascend, versions do not
            await insert_outbox(app_conn, "main", "M", version)
        await insert_outbox(app_conn, "main", "Q", 1)
    async with running(make_relay(ledger_db, kafka_bootstrap, topics)):
        await eventually(lambda: all_published(app_conn), what="outbox drained")
    got = await read_topic(kafka_bootstrap, topics[0], want=4)
    assert versions_by_key(got) == {b"main/M": [1, 2, 3], b"main/Q": [1]}


async def test_stop_during_a_batch_finishes_it_sent_and_marked(
    ledger_db: LedgerDatabase, kafka_bootstrap: str, topics: tuple[str, str], app_conn: Any
) -> None:
    rows = [(f"S-{i % 50}", i // 50 + 1) for i in range(2_000)]
    await app_conn.executemany(
        "INSERT INTO outbox (event_id, location, lic, version, payload)"
        " VALUES ($1, 'main', $2, $3, $4)",
        [(f"bc-{lic}-{v}", lic, v, json.dumps(payload("main", lic, v))) for lic, v in rows],
    )
    relay = make_relay(ledger_db, kafka_bootstrap, topics, batch_size=2_000)
    await relay.start()
    await eventually(lambda: _is_active(relay), what="the relay lock")
    await relay.stop(timeout_s=20)  # the first pass is under way: it must complete
    assert await unpublished(app_conn) == 0
    got = await read_topic(kafka_bootstrap, topics[0], want=2_000)
    assert len(got) == 2_000
    assert all(v == list(range(1, 41)) for v in versions_by_key(got).values())
