"""The running service end to end on real Kafka and Postgres (issue 7 acceptance)."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest
from prometheus_client import CollectorRegistry

from inventory_ledger.application.apply_batch import CURABLE
from inventory_ledger.bootstrap import Service
from inventory_ledger.domain.balance import Balance
from inventory_ledger.domain.item import ItemKey
from inventory_ledger.metrics import LedgerMetrics
from inventory_ledger.simulation import SimulationConfig, generate, valid_events
from inventory_ledger.simulation.kafka import publish
from tests.conftest import LedgerDatabase
from tests.e2e.support import (
    create_topics,
    last_published,
    oracle,
    read_topic,
    service_settings,
    settled,
    stored_balances,
    topics_for,
    versions_per_key,
    wait_for,
)

pytestmark = pytest.mark.e2e


@pytest.mark.timeout(600)
async def test_stream_with_duplicates_and_poison_gives_the_oracle_books(
    kafka_bootstrap: str, ledger_db: LedgerDatabase, topic: str
) -> None:
    topics = topics_for(topic)
    await create_topics(kafka_bootstrap, topics)
    config = SimulationConfig(
        events=20_000, seed=5, duplicates=0.02, malformed=0.005, topics=topics.inbound
    )
    messages = list(generate(config))
    await publish(messages, kafka_bootstrap)
    books = oracle(messages)
    malformed = sum(1 for m in messages if not m.is_valid)
    unique = len(list(valid_events(messages)))

    service = Service(
        service_settings(kafka_bootstrap, ledger_db.app_dsn, topics),
        metrics=LedgerMetrics.create(CollectorRegistry()),
    )
    await service.start()
    try:
        await wait_for(
            lambda: settled(
                ledger_db.owner_dsn, unique - len(books.rejected), malformed + len(books.rejected)
            ),
            within_s=420,
            what="the stream to be applied and published",
        )
        assert service.http is not None
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{service.http.port}") as http:
            api = (await http.get("/v1/balances")).json()
            reconciliation = (await http.get("/v1/reconciliation")).json()
            metrics_text = (await http.get("/metrics")).text
    finally:
        await service.stop()

    want = {item: b for item, b in books.balances.items() if not b.is_zero}
    from_api = {
        ItemKey(b["lic"], b["location"]): Balance(
            Decimal(b["on_hand"]), Decimal(b["on_order"]), Decimal(b["demand"])
        )
        for b in api
    }
    assert {i: b for i, b in from_api.items() if not b.is_zero} == want
    assert reconciliation["ok"] is True
    # every record consumed once (no committed batch delivered again) and every event applied
    # once, parked ones cured by a later batch included
    assert _total(metrics_text, "inventory_ledger_events_consumed_total") == len(messages)
    assert _total(metrics_text, "inventory_ledger_events_applied_total") == unique - len(
        books.rejected
    )
    balances = await stored_balances(ledger_db.owner_dsn)
    assert balances == want
    out = await read_topic(kafka_bootstrap, topics.balance_changed)
    assert last_published(out) == want, "the last balance_changed per key is the balance"
    for key, versions in versions_per_key(out).items():
        assert versions == sorted(versions), f"{key!r}: versions out of order"
        assert sorted(set(versions)) == list(range(1, max(versions) + 1)), f"{key!r}: gap"
    letters = await read_topic(kafka_bootstrap, topics.dead_letter)
    assert len(letters) >= malformed
    assert {v["reason"] for _, v in letters} <= {
        "not_json",
        "not_utf8",
        "schema",
        "unknown_event_type",
        "unsupported_schema_version",
        "too_deep",
        "too_large",
        "too_many_lines",
        *books.rejected.values(),
        *(reason.value for reason in CURABLE),  # serials shipped before their receipt came:
    }  # dead-lettered, parked, then cured (settled() above requires none left standing)


def _total(metrics_text: str, name: str) -> float:
    """The sum of a counter's samples over all its labels, from the /metrics text."""
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in metrics_text.splitlines()
        if line.startswith(name + "{") or line.startswith(name + " ")
    )
