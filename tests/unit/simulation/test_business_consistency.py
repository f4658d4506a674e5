"""Replayed in business-time order, the stream is physically possible.

Nothing leaves a shelf it is not on: shipments, consumption and decreases draw only serials
and manufacturer lots that are in stock at that moment, quantities never go negative, a
serial is received once and returns only after it was shipped.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

import pytest

from inventory_ledger.simulation import SimulatedMessage, catalog_of
from tests.unit.simulation.conftest import BUSINESS_ORDER
from tests.unit.simulation.support import envelope

pytestmark = pytest.mark.unit

_IN = {
    "shipment.received": ("lines",),
    "shipment.returned": ("lines",),
    "job.output_completed": ("lines",),
    "adjustment.posted": ("produced",),
}
_OUT = {
    "shipment.shipped": ("lines",),
    "job.materials_consumed": ("lines",),
    "adjustment.posted": ("consumed",),
}


class _Shelves:
    def __init__(self) -> None:
        self.qty: dict[tuple[str, str, str | None], Decimal] = defaultdict(Decimal)
        self.in_stock: dict[str, tuple[str, str]] = {}
        self.with_customers: set[str] = set()
        self.ever_received: set[str] = set()

    def put(self, event_type: str, line: dict[str, Any]) -> None:
        where = (line["lic"], line["location"])
        self.qty[(*where, line.get("mfr_lot"))] += Decimal(line["qty"])
        for serial in line.get("serials", ()):
            assert serial not in self.in_stock, f"{serial} already in stock"
            if event_type == "shipment.returned":
                assert serial in self.with_customers, f"{serial} returned but never shipped"
                self.with_customers.remove(serial)
            else:
                assert serial not in self.ever_received, f"{serial} made twice"
            self.ever_received.add(serial)
            self.in_stock[serial] = where

    def take(self, event_type: str, line: dict[str, Any]) -> None:
        where = (line["lic"], line["location"])
        key = (*where, line.get("mfr_lot"))
        self.qty[key] -= Decimal(line["qty"])
        assert self.qty[key] >= 0, f"{key} below zero"
        for serial in line.get("serials", ()):
            assert self.in_stock.pop(serial, None) == where, f"{serial} not in stock at {where}"
            if event_type == "shipment.shipped":
                self.with_customers.add(serial)


def test_business_order_is_physically_possible(business_order: list[SimulatedMessage]) -> None:
    serialized = {i.lic for i in catalog_of(BUSINESS_ORDER).items if i.tracking == "serial"}
    lot_tracked = {i.lic for i in catalog_of(BUSINESS_ORDER).items if i.tracking == "mfr_lot"}
    shelves = _Shelves()
    returned_serials = 0
    for message in business_order:
        event = envelope(message)
        event_type, data = event["event_type"], event["data"]
        for field in _OUT.get(event_type, ()):
            for line in data[field]:
                assert (line["lic"] in serialized) == ("serials" in line)
                assert (line["lic"] in lot_tracked) == ("mfr_lot" in line)
                shelves.take(event_type, line)
        for field in _IN.get(event_type, ()):
            for line in data[field]:
                assert (line["lic"] in serialized) == ("serials" in line)
                assert (line["lic"] in lot_tracked) == ("mfr_lot" in line)
                shelves.put(event_type, line)
                if event_type == "shipment.returned":
                    returned_serials += len(line.get("serials", ()))
    assert returned_serials > 0


def test_business_time_never_goes_back(business_order: list[SimulatedMessage]) -> None:
    times = [envelope(m)["occurred_at"] for m in business_order]
    assert times == sorted(times)
    assert all(t.endswith("+00:00") for t in times)
