"""``dead-letters replay``: a letter that is valid after a fix is applied once; others stay."""

from __future__ import annotations

import asyncpg
import orjson
import pytest
from prometheus_client import CollectorRegistry

from inventory_contracts.examples import INBOUND_EXAMPLES
from inventory_ledger.adapters.kafka.replay import replay_dead_letters
from inventory_ledger.adapters.postgres.dead_letters import record_dead_letters
from inventory_ledger.application.dead_letter import DeadLetter, MessageSource
from inventory_ledger.bootstrap import Service
from inventory_ledger.metrics import LedgerMetrics
from tests.conftest import LedgerDatabase
from tests.e2e.support import create_topics, read_topic, service_settings, topics_for, wait_for

pytestmark = pytest.mark.e2e


@pytest.mark.timeout(120)
async def test_replayed_letters_go_back_to_their_topic_and_are_applied(
    kafka_bootstrap: str, ledger_db: LedgerDatabase, topic: str
) -> None:
    topics = topics_for(topic)
    await create_topics(kafka_bootstrap, topics)
    settings = service_settings(kafka_bootstrap, ledger_db.app_dsn, topics)
    valid = orjson.dumps(dict(INBOUND_EXAMPLES["shipment.received"]))
    conn = await asyncpg.connect(ledger_db.owner_dsn)
    try:
        # As if an older version had rejected a valid receipt, plus one still-broken message.
        await record_dead_letters(
            conn,
            [
                DeadLetter(
                    MessageSource(topics.inbound.shipping, 0, 7), b"S-1", valid, (), "schema", "x"
                ),
                DeadLetter(
                    MessageSource(topics.inbound.shipping, 0, 8), b"S-2", b"{", (), "not_json", "x"
                ),
            ],
        )
    finally:
        await conn.close()

    replayed = await replay_dead_letters(settings, reason="schema")
    assert len(replayed) == 1
    assert await replay_dead_letters(settings, ids=replayed) == [], "a letter replays once"
    records = await read_topic(kafka_bootstrap, topics.inbound.shipping)
    assert [key for key, _ in records] == [b"S-1"]

    service = Service(settings, metrics=LedgerMetrics.create(CollectorRegistry()))
    await service.start()
    try:

        async def applied() -> bool:
            c = await asyncpg.connect(ledger_db.owner_dsn)
            try:
                return bool(await c.fetchval("SELECT count(*) FROM processed_events") == 1)
            finally:
                await c.close()

        await wait_for(applied, within_s=60, what="the replayed receipt to be applied")
    finally:
        await service.stop()
    conn = await asyncpg.connect(ledger_db.owner_dsn)
    try:
        on_hand = await conn.fetchval("SELECT sum(on_hand) FROM balances")
        states = await conn.fetch("SELECT reason, replayed_at IS NOT NULL AS r FROM dead_letters")
    finally:
        await conn.close()
    assert on_hand > 0
    assert sorted((s["reason"], s["r"]) for s in states) == [("not_json", False), ("schema", True)]
