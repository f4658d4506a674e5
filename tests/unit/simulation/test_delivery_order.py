"""Delivery order: per-key (indeed per-topic) order kept; topics interleave out of time order."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from itertools import pairwise
from typing import Any

import pytest

from inventory_ledger.simulation import SimulatedMessage, generate
from tests.unit.simulation.conftest import BUSINESS_ORDER
from tests.unit.simulation.support import envelope

pytestmark = pytest.mark.unit

_FIRST = {
    "purchasing.v1": "purchase_order.opened",
    "sales.v1": "order.opened",
    "jobs.v1": "job.opened",
}
_LAST = {
    "purchase_order.closed",
    "purchase_order.cancelled",
    "order.closed",
    "order.cancelled",
    "job.closed",
}


def _by_key(messages: list[SimulatedMessage]) -> dict[tuple[str, str], list[str]]:
    keyed: dict[tuple[str, str], list[str]] = defaultdict(list)
    for message in messages:
        keyed[message.topic, message.key].append(envelope(message)["event_id"])
    return keyed


def test_each_key_keeps_its_business_order(valid: list[SimulatedMessage]) -> None:
    longer = replace(BUSINESS_ORDER, events=BUSINESS_ORDER.events + 5_000)
    business = _by_key(list(generate(longer)))
    delivered = _by_key(valid)
    for key, event_ids in delivered.items():
        assert business[key][: len(event_ids)] == event_ids, key


def test_each_document_opens_first_and_ends_last(valid: list[SimulatedMessage]) -> None:
    lives: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for message in valid:
        lives[message.topic, message.key].append(envelope(message))
    for (topic, _), events in lives.items():
        types = [e["event_type"] for e in events]
        if topic in _FIRST and not types[0].startswith("purchase."):
            assert types[0] == _FIRST[topic], types
        assert all(t not in _LAST for t in types[:-1]), types
        times = [e["occurred_at"] for e in events]
        assert times == sorted(times)


def test_receipts_sometimes_arrive_before_their_po(valid: list[SimulatedMessage]) -> None:
    opened_at: dict[str, int] = {}
    received_at: dict[str, int] = {}
    for position, message in enumerate(valid):
        event = envelope(message)
        if event["event_type"] == "purchase_order.opened":
            opened_at[event["data"]["po_id"]] = position
        elif event["event_type"] == "shipment.received" and "po_id" in event["data"]:
            received_at.setdefault(event["data"]["po_id"], position)
    early = [po for po, at in received_at.items() if at < opened_at.get(po, len(valid))]
    assert early, "no receipt was delivered before its PO"


def test_delivery_order_differs_from_business_time(valid: list[SimulatedMessage]) -> None:
    times = [envelope(m)["occurred_at"] for m in valid]
    assert times != sorted(times)
    late = sum(1 for before, after in pairwise(times) if after < before)
    assert late > 100
