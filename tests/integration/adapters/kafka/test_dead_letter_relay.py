"""Dead letters reach the dead-letter topic once, keyed by the original key, per the contract."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from inventory_contracts import DeadLetter as DeadLetterRecord
from inventory_ledger.adapters.kafka.outbox_relay import OutboxRelay
from inventory_ledger.adapters.postgres.dead_letters import record_dead_letters
from inventory_ledger.application.dead_letter import DeadLetter, MessageSource
from tests.conftest import LedgerDatabase
from tests.integration.adapters.kafka.conftest import eventually, insert_outbox, read_topic

pytestmark = [pytest.mark.integration, pytest.mark.timeout(30)]


async def test_dead_letters_are_published_once_with_the_contract_fields(
    ledger_db: LedgerDatabase, kafka_bootstrap: str, topics: tuple[str, str], app_conn: Any
) -> None:
    poison = DeadLetter(
        source=MessageSource("shipping.v1", 1, 42),
        key=b"S-9",
        value=b'{"event_id": "e-9", "event_type": "shipment.shipped", "data": {',
        headers=(("traceparent", b"00-abc"), ("nothing", None)),
        reason="not_json",
        message="unexpected end of input at 1:64",
    )
    rule = DeadLetter(
        source=MessageSource("shipping.v1", 0, 7),
        key=None,
        value=b'{"event_id": "e-10"}',
        headers=(),
        reason="serial_not_in_stock",
        message="serial SN-1 of W-1 at main is not in stock",
        event_id="e-10",
        event_type="shipment.shipped",
    )
    async with app_conn.transaction():
        assert await record_dead_letters(app_conn, [poison, rule]) == 2
        await insert_outbox(app_conn, "main", "W-1", 1)  # one loop relays both tables

    relay = OutboxRelay(
        dsn=ledger_db.app_dsn,
        bootstrap_servers=kafka_bootstrap,
        balance_changed_topic=topics[0],
        dead_letter_topic=topics[1],
        poll_interval_s=0.2,
    )
    await relay.start()
    try:
        await eventually(lambda: _all_published(app_conn), what="dead letters published")
        # the poison message is redelivered and rejected again: recorded and published once
        assert await record_dead_letters(app_conn, [poison]) == 0
        relay.notify()
        await asyncio.sleep(0.5)
    finally:
        await relay.stop(timeout_s=10)

    got = await read_topic(kafka_bootstrap, topics[1], want=2)
    assert len(got) == 2, "each dead letter once"
    records = {DeadLetterRecord.model_validate_json(m.value).source_offset: m for m in got}
    first = DeadLetterRecord.model_validate_json(records[42].value)
    assert records[42].key == b"S-9"
    assert records[42].headers["reason"] == b"not_json"
    assert (first.source_topic, first.source_partition, first.source_offset) == (
        "shipping.v1",
        1,
        42,
    )
    assert first.value == poison.value
    assert first.key == b"S-9"
    assert [(h.key, h.value) for h in first.headers] == list(poison.headers)
    assert (first.reason, first.message) == (poison.reason, poison.message)
    assert first.event_id is None
    second = DeadLetterRecord.model_validate_json(records[7].value)
    assert records[7].key is None
    assert (second.reason, second.event_id, second.event_type) == (
        "serial_not_in_stock",
        "e-10",
        "shipment.shipped",
    )
    balance = await read_topic(kafka_bootstrap, topics[0], want=1)
    assert [m.key for m in balance] == [b"main/W-1"]


async def _all_published(conn: Any) -> bool:
    left: int = await conn.fetchval(
        "SELECT (SELECT count(*) FROM dead_letters WHERE published_at IS NULL)"
        " + (SELECT count(*) FROM outbox WHERE published_at IS NULL)"
    )
    return left == 0
