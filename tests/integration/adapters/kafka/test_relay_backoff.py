"""Per-source and per-key backoff of the relay, on a real broker and a real database.

A row a topic refuses holds back only its own key, and a source whose topic fails backs off
only itself: balance changes keep flowing past a stuck dead letter and the other way round.
The backoffs here are long on purpose, so that a relay that backed off as a whole would miss
the deadlines the flowing side is held to.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from structlog.testing import capture_logs

from inventory_contracts import DeadLetter as DeadLetterRecord
from inventory_ledger.adapters.kafka.outbox_relay import OutboxRelay, SourceStatus
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

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

FAST: dict[str, Any] = {"request_timeout_ms": 3_000, "retry_backoff_ms": 50}
TOPIC_LIMIT = 20_000  # max.message.bytes of a strict topic: above a producer batch (16 KiB)
PROMPT_S = 2.0  # a flowing source publishes within this; every backoff below is longer


@asynccontextmanager
async def admin_client(bootstrap: str) -> AsyncIterator[AIOKafkaAdminClient]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
    await admin.start()
    try:
        yield admin
    finally:
        await admin.close()


async def create_topic(bootstrap: str, name: str, **configs: str) -> None:
    async with admin_client(bootstrap) as admin:
        await admin.create_topics([NewTopic(name, 3, 1, topic_configs=configs)])


async def alter_topic(bootstrap: str, name: str, **configs: str) -> None:
    async with admin_client(bootstrap) as admin:
        await admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, name, configs)])


@asynccontextmanager
async def running(
    db: LedgerDatabase, bootstrap: str, bc: str, dlq: str, **kw: Any
) -> AsyncIterator[OutboxRelay]:
    options: dict[str, Any] = {
        "poll_interval_s": 10,  # wake-ups come from notify() and from the backoffs
        "send_timeout_s": 8,
        "backoff_initial_s": 5,
        "backoff_max_s": 30,
        "producer_options": FAST,
    } | kw
    relay = OutboxRelay(
        dsn=db.app_dsn,
        bootstrap_servers=bootstrap,
        balance_changed_topic=bc,
        dead_letter_topic=dlq,
        **options,
    )
    await relay.start()
    try:
        yield relay
    finally:
        await relay.stop(timeout_s=15)


def letter(offset: int, key: bytes | None, size: int = 10) -> DeadLetter:
    return DeadLetter(
        source=MessageSource("shipping.v1", 0, offset),
        key=key,
        value=b"x" * size,
        headers=(),
        reason="not_json",
        message=f"letter {offset}",
    )


async def unpublished(conn: asyncpg.Connection, table: str) -> int:
    n: int = await conn.fetchval(f"SELECT count(*) FROM {table} WHERE published_at IS NULL")
    return n


async def published_outbox(conn: asyncpg.Connection) -> list[tuple[str, int]]:
    rows = await conn.fetch(
        "SELECT lic, version FROM outbox WHERE published_at IS NOT NULL ORDER BY lic, version"
    )
    return [(r["lic"], r["version"]) for r in rows]


async def published_letters(conn: asyncpg.Connection) -> set[int]:
    rows = await conn.fetch("SELECT source_offset FROM dead_letters WHERE published_at IS NOT NULL")
    return {r["source_offset"] for r in rows}


async def within(seconds: float, check: Any, what: str) -> float:
    """Wait for ``check`` (at most ``seconds``) and return how long it took."""
    started = time.monotonic()
    await eventually(check, timeout_s=seconds, what=what)
    return time.monotonic() - started


def by_name(statuses: Sequence[SourceStatus]) -> dict[str, SourceStatus]:
    return {status.source: status for status in statuses}


def versions(messages: Sequence[Received], key: bytes) -> list[int]:
    ordered = sorted((m for m in messages if m.key == key), key=lambda m: (m.partition, m.offset))
    return [json.loads(m.value)["data"]["version"] for m in ordered]


async def test_a_dead_letter_the_topic_refuses_waits_alone_while_everything_else_flows(
    ledger_db: LedgerDatabase, kafka_bootstrap: str, topic: str, app_conn: asyncpg.Connection
) -> None:
    bc, dlq = f"{topic}-bc", f"{topic}-dlq"
    await create_topic(kafka_bootstrap, bc)
    await create_topic(kafka_bootstrap, dlq, **{"max.message.bytes": str(TOPIC_LIMIT)})
    big = letter(1, b"BIG", size=2 * TOPIC_LIMIT)  # its record is over the topic's limit
    await record_dead_letters(app_conn, [big, letter(2, b"S-1")])
    for version in (1, 2, 3):
        await insert_outbox(app_conn, "main", "W-1", version)

    with capture_logs() as logs:
        async with running(ledger_db, kafka_bootstrap, bc, dlq) as relay:
            await eventually(lambda: _held(relay, "dead_letters"), what="the big letter held")
            await eventually(lambda: _no_unpublished(app_conn, "outbox"), what="outbox out")
            # the dead-letter lane now waits 5 s for BIG; nothing else may wait for it
            for version in (4, 5):
                await insert_outbox(app_conn, "main", "W-1", version)
            await record_dead_letters(app_conn, [letter(3, b"S-2"), letter(4, None)])
            relay.notify()
            took = await within(PROMPT_S, lambda: _letters_out(app_conn, {2, 3, 4}), "letters")
            await within(PROMPT_S, lambda: _no_unpublished(app_conn, "outbox"), "W-1 v4, v5")
            statuses = by_name(relay.status())

    assert took < PROMPT_S
    assert await published_letters(app_conn) == {2, 3, 4}, "only BIG is left"
    assert await published_outbox(app_conn) == [("W-1", v) for v in range(1, 6)]
    letters, outbox = statuses["dead_letters"], statuses["outbox"]
    assert (letters.held_keys, letters.retry_in_s) == (1, 0), "one key held, the source is fine"
    assert letters.last_error is not None
    assert "MessageSizeTooLarge" in letters.last_error
    assert (outbox.held_keys, outbox.retry_in_s, outbox.last_error) == (0, 0, None)
    held = [e for e in logs if e["event"] == "outbox relay holds back keys the broker refused"]
    assert held, "the refusal is logged"
    assert (held[0]["source"], held[0]["topic"], held[0]["keys"]) == ("dead_letters", dlq, ["BIG"])
    assert held[0]["retry_in_s"] == 5
    got = await read_topic(kafka_bootstrap, dlq, want=3)
    offsets = sorted(DeadLetterRecord.model_validate_json(m.value).source_offset for m in got)
    assert offsets == [2, 3, 4]
    assert versions(await read_topic(kafka_bootstrap, bc, want=5), b"main/W-1") == [1, 2, 3, 4, 5]


async def test_a_balance_change_the_topic_refuses_holds_only_its_key_then_resumes_in_order(
    ledger_db: LedgerDatabase, kafka_bootstrap: str, topic: str, app_conn: asyncpg.Connection
) -> None:
    bc, dlq = f"{topic}-bc", f"{topic}-dlq"
    await create_topic(kafka_bootstrap, bc, **{"max.message.bytes": str(TOPIC_LIMIT)})
    await create_topic(kafka_bootstrap, dlq)
    await insert_outbox(app_conn, "main", "A", 1)
    huge = payload("main", "A", 2) | {"padding": "x" * 2 * TOPIC_LIMIT}
    await app_conn.execute(
        "INSERT INTO outbox (event_id, location, lic, version, payload) VALUES ($1,$2,$3,$4,$5)",
        "bc-main-A-2", "main", "A", 2, json.dumps(huge),
    )  # fmt: skip
    for version in range(3, 9):  # more of A's rows than a batch holds: they must not clog it
        await insert_outbox(app_conn, "main", "A", version)

    # short backoffs: A is retried (probed) several times while B flows
    async with running(
        ledger_db, kafka_bootstrap, bc, dlq, batch_size=2, backoff_initial_s=0.2, backoff_max_s=1
    ) as relay:
        await eventually(lambda: _held(relay, "outbox"), what="A held")
        for version in range(1, 7):
            await insert_outbox(app_conn, "main", "B", version)
        relay.notify()
        await within(3 * PROMPT_S, lambda: _outbox_has(app_conn, ("B", 6)), "B past A")
        await record_dead_letters(app_conn, [letter(1, b"A")])  # and the other source
        relay.notify()
        await within(PROMPT_S, lambda: _letters_out(app_conn, {1}), "a letter past A")
        await asyncio.sleep(1.5)  # A is probed again (backoff <= 1 s) and refused again
        assert await published_outbox(app_conn) == [("A", 1)] + [("B", v) for v in range(1, 7)]
        assert by_name(relay.status())["outbox"].held_keys == 1

        await alter_topic(kafka_bootstrap, bc, **{"max.message.bytes": "1000000"})
        await eventually(lambda: _no_unpublished(app_conn, "outbox"), timeout_s=20,
                         what="A resumes")  # fmt: skip
        assert by_name(relay.status())["outbox"] == SourceStatus("outbox", bc, 0, 0, None)
        assert relay.last_error is None

    got = await read_topic(kafka_bootstrap, bc, want=14)
    assert versions(got, b"main/B") == list(range(1, 7))
    a = versions(got, b"main/A")
    assert a[0] == 1
    # the broker refuses A-2 only after A-3 left in the same batch, so A-3 may precede it once;
    # nothing after A-2 is marked before it, and from A-2 on every version follows in order
    assert a[a.index(2) :] == list(range(2, 9)), a


async def test_a_dead_letter_topic_that_fails_every_send_backs_off_only_its_source(
    ledger_db: LedgerDatabase, kafka_bootstrap: str, topic: str, app_conn: asyncpg.Connection
) -> None:
    """A dead-letter topic the broker does not know (here: a name it rejects; in production a
    deleted topic without auto-creation): each send waits out the producer's request timeout
    (3 s) and fails. Balance changes must not wait with it, not even once."""
    bc, dlq = f"{topic}-bc", f"{topic} dlq"
    await create_topic(kafka_bootstrap, bc)
    await record_dead_letters(app_conn, [letter(1, b"L-1")])

    with capture_logs() as logs:
        async with running(
            ledger_db, kafka_bootstrap, bc, dlq, backoff_initial_s=0.2, backoff_max_s=0.5
        ) as relay:
            lags = []
            for version in range(1, 9):  # over several of the dead-letter lane's attempts
                await asyncio.sleep(0.7)
                await insert_outbox(app_conn, "main", "W", version)
                relay.notify()
                lags.append(await within(1.5, lambda: _no_unpublished(app_conn, "outbox"), "W"))
            statuses = by_name(relay.status())
            assert relay.last_error is not None
            assert await unpublished(app_conn, "dead_letters") == 1

    assert max(lags) < 1.0, lags
    failing = [e for e in logs if e["event"] == "outbox relay source backing off"]
    assert len(failing) >= 2, "the dead-letter source failed more than once meanwhile"
    assert {(e["source"], e["topic"]) for e in failing} == {("dead_letters", dlq)}
    assert "UnknownTopicOrPartition" in failing[0]["error"]
    assert statuses["dead_letters"].last_error is not None
    assert "UnknownTopicOrPartition" in statuses["dead_letters"].last_error
    assert (statuses["outbox"].retry_in_s, statuses["outbox"].last_error) == (0, None)
    assert not [e for e in logs if e["event"].startswith("outbox relay pass failed")]
    assert versions(await read_topic(kafka_bootstrap, bc, want=8), b"main/W") == list(range(1, 9))


async def _held(relay: OutboxRelay, source: str) -> bool:
    return by_name(relay.status())[source].held_keys > 0


async def _no_unpublished(conn: asyncpg.Connection, table: str) -> bool:
    return await unpublished(conn, table) == 0


async def _letters_out(conn: asyncpg.Connection, offsets: set[int]) -> bool:
    return offsets <= await published_letters(conn)


async def _outbox_has(conn: asyncpg.Connection, row: tuple[str, int]) -> bool:
    return row in await published_outbox(conn)
