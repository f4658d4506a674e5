"""A 20k stream shows every situation the ledger must handle, not just every event type."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

import pytest

from inventory_ledger.simulation import SimulatedMessage, catalog_of
from tests.unit.simulation.conftest import STREAM
from tests.unit.simulation.support import envelope, goods_lines

pytestmark = pytest.mark.unit


def _data(valid: list[SimulatedMessage], event_type: str) -> list[dict[str, Any]]:
    return [envelope(m)["data"] for m in valid if envelope(m)["event_type"] == event_type]


def test_every_event_type_appears_often(valid: list[SimulatedMessage]) -> None:
    counts = Counter(envelope(m)["event_type"] for m in valid)
    assert len(counts) == 17
    assert min(counts.values()) >= 20, counts


def test_every_adjustment_kind_with_its_shape(valid: list[SimulatedMessage]) -> None:
    kinds: Counter[str] = Counter()
    for data in _data(valid, "adjustment.posted"):
        kind, consumed, produced = data["kind"], data["consumed"], data["produced"]
        kinds[kind] += 1
        if kind in {"increase", "beginning_balance"}:
            assert not consumed
            assert produced
            assert all("unit_cost" in line for line in produced)
        elif kind == "decrease":
            assert consumed
            assert not produced
        elif kind == "assembly":
            assert consumed
            assert len(produced) == 1
        else:
            assert kind == "division"
            assert len(consumed) == 1
            assert len(produced) >= 2
    assert set(kinds) == {"increase", "decrease", "beginning_balance", "assembly", "division"}
    produced = [line for d in _data(valid, "adjustment.posted") for line in d["produced"]]
    assert any("cost_share" in line for line in produced), "no division with cost_share"


def test_purchasing_variety(valid: list[SimulatedMessage]) -> None:
    receipts = _data(valid, "shipment.received")
    assert any("po_id" not in r for r in receipts), "no receipt without a PO"
    assert all(
        all("unit_cost" in line for line in r["lines"]) for r in receipts if "po_id" not in r
    )
    bills = _data(valid, "purchase.opened")
    assert any("freight" in b for b in bills)
    assert any("freight" not in b for b in bills)
    ordered: dict[tuple[str, str], Decimal] = {}
    for data in _data(valid, "purchase_order.opened") + _data(valid, "purchase_order.changed"):
        for line in data["lines"]:
            ordered[data["po_id"], line["line_id"]] = Decimal(line["qty"])
    received: dict[tuple[str, str], Decimal] = {}
    for data in receipts:
        for line in data["lines"]:
            if "po_id" in data:
                key = (data["po_id"], line["po_line_id"])
                received[key] = received.get(key, Decimal(0)) + Decimal(line["qty"])
    over = [k for k, q in received.items() if k in ordered and q > ordered[k]]
    partial = [k for k, q in received.items() if k in ordered and q < ordered[k]]
    assert over, "no over-receipt"
    assert partial, "no partial receipt"


def test_bills_differ_from_estimates(valid: list[SimulatedMessage]) -> None:
    estimate: dict[tuple[str, str], str] = {}
    for data in _data(valid, "purchase_order.opened"):
        for line in data["lines"]:
            estimate[data["po_id"], line["line_id"]] = line["est_unit_cost"]
    billed = [
        (estimate.get((bill["po_id"], line["po_line_id"])), line["unit_cost"])
        for bill in _data(valid, "purchase.opened")
        for line in bill["lines"]
    ]
    assert sum(1 for est, final in billed if est is not None and est != final) > len(billed) / 2


def test_sales_and_returns_variety(valid: list[SimulatedMessage]) -> None:
    returns = _data(valid, "shipment.returned")
    assert any("original_shipment_id" in r for r in returns)
    assert any("original_shipment_id" not in r for r in returns)
    shipments = _data(valid, "shipment.shipped")
    shipped_orders = Counter(s["order_id"] for s in shipments if "order_id" in s)
    assert max(shipped_orders.values()) >= 2, "no order shipped in parts"
    assert any("order_id" not in s for s in shipments), "no shipment without an order"


def test_jobs_consume_planned_and_unplanned_material(valid: list[SimulatedMessage]) -> None:
    lines = [line for d in _data(valid, "job.materials_consumed") for line in d["lines"]]
    assert any("input_line_id" in line for line in lines)
    assert any("input_line_id" not in line for line in lines)


def test_jobs_close_with_and_without_additional_cost(valid: list[SimulatedMessage]) -> None:
    closed = _data(valid, "job.closed")
    assert any("additional_cost" in c for c in closed)
    assert any("additional_cost" not in c for c in closed)


def test_tracked_and_fractional_goods(valid: list[SimulatedMessage]) -> None:
    tracking = {item.lic: item.tracking for item in catalog_of(STREAM).items}
    lines = [line for m in valid for line in goods_lines(envelope(m)["data"])]
    assert any("." in line["qty"] for line in lines)
    for line in lines:
        if tracking[line["lic"]] == "serial":
            assert "." not in line["qty"]
            if "serials" in line:
                assert len(line["serials"]) == int(line["qty"])
    assert any("serials" in line for line in lines)
    assert any("mfr_lot" in line for line in lines)
    assert {line["location"] for line in lines} == set(catalog_of(STREAM).locations)
