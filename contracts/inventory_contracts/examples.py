"""One valid wire example per event type, as decoded JSON.

They are published in the AsyncAPI document and are the fixtures the contract tests start
from, so the documented examples are always valid.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

__all__ = ["BALANCE_CHANGED_EXAMPLE", "DEAD_LETTER_EXAMPLE", "INBOUND_EXAMPLES"]

_AT: Final = "2026-11-20T10:15:00+00:00"


def _event(event_type: str, number: int, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "event_id": f"00000000-0000-4000-8000-{number:012d}",
        "event_type": event_type,
        "schema_version": 1,
        "occurred_at": _AT,
        "data": data,
    }


def _line(line_id: str, lic: str, qty: str, **extra: Any) -> dict[str, Any]:
    return {"line_id": line_id, "lic": lic, "location": "main", "qty": qty, **extra}


INBOUND_EXAMPLES: Final[Mapping[str, Mapping[str, Any]]] = MappingProxyType(
    {
        "purchase_order.opened": _event(
            "purchase_order.opened",
            1,
            {
                "po_id": "PO-1001",
                "vendor": "Acme Supply",
                "lines": [
                    _line("1", "WIDGET-1", "10", est_unit_cost="2.50"),
                    _line("2", "BOLT-7", "500", est_unit_cost="0.012"),
                ],
            },
        ),
        "purchase_order.changed": _event(
            "purchase_order.changed",
            2,
            {"po_id": "PO-1001", "lines": [_line("1", "WIDGET-1", "12", est_unit_cost="2.45")]},
        ),
        "purchase_order.cancelled": _event("purchase_order.cancelled", 3, {"po_id": "PO-1002"}),
        "purchase_order.closed": _event("purchase_order.closed", 4, {"po_id": "PO-1001"}),
        "purchase.opened": _event(
            "purchase.opened",
            5,
            {
                "purchase_id": "BILL-77",
                "po_id": "PO-1001",
                "freight": "15.00",
                "lines": [{"po_line_id": "1", "qty": "12", "unit_cost": "2.40"}],
            },
        ),
        "order.opened": _event(
            "order.opened",
            6,
            {
                "order_id": "SO-501",
                "customer": "Globex",
                "lines": [_line("1", "WIDGET-1", "3")],
            },
        ),
        "order.changed": _event(
            "order.changed", 7, {"order_id": "SO-501", "lines": [_line("1", "WIDGET-1", "4")]}
        ),
        "order.cancelled": _event("order.cancelled", 8, {"order_id": "SO-502"}),
        "order.closed": _event("order.closed", 9, {"order_id": "SO-501"}),
        "shipment.received": _event(
            "shipment.received",
            10,
            {
                "shipment_id": "RCV-9",
                "po_id": "PO-1001",
                "lines": [
                    _line("1", "WIDGET-1", "8", po_line_id="1", mfr_lot="L2026-11"),
                    _line("2", "SCANNER-3", "2", serials=["SN-1", "SN-2"], unit_cost="120"),
                ],
            },
        ),
        "shipment.shipped": _event(
            "shipment.shipped",
            11,
            {
                "shipment_id": "SHP-40",
                "order_id": "SO-501",
                "lines": [_line("1", "WIDGET-1", "3", order_line_id="1")],
            },
        ),
        "shipment.returned": _event(
            "shipment.returned",
            12,
            {
                "shipment_id": "RET-3",
                "order_id": "SO-501",
                "original_shipment_id": "SHP-40",
                "lines": [_line("1", "WIDGET-1", "1")],
            },
        ),
        "job.opened": _event(
            "job.opened",
            13,
            {
                "job_id": "JOB-12",
                "outputs": [_line("out-1", "KIT-2", "5")],
                "inputs": [_line("in-1", "WIDGET-1", "10"), _line("in-2", "BOLT-7", "40")],
            },
        ),
        "job.materials_consumed": _event(
            "job.materials_consumed",
            14,
            {"job_id": "JOB-12", "lines": [_line("1", "WIDGET-1", "10", input_line_id="in-1")]},
        ),
        "job.output_completed": _event(
            "job.output_completed",
            15,
            {"job_id": "JOB-12", "lines": [_line("1", "KIT-2", "5", output_line_id="out-1")]},
        ),
        "job.closed": _event("job.closed", 16, {"job_id": "JOB-12", "additional_cost": "42.00"}),
        "adjustment.posted": _event(
            "adjustment.posted",
            17,
            {
                "adjustment_id": "ADJ-3",
                "kind": "division",
                "reason": "break a case into units",
                "consumed": [_line("1", "CASE-12", "1")],
                "produced": [
                    _line("2", "UNIT-1", "10", cost_share="1"),
                    _line("3", "MANUAL-1", "2", cost_share="0.5"),
                ],
            },
        ),
    }
)
"""A valid example of every inbound event type, by ``event_type``."""

BALANCE_CHANGED_EXAMPLE: Final[Mapping[str, Any]] = MappingProxyType(
    _event(
        "inventory.balance_changed",
        18,
        {
            "lic": "WIDGET-1",
            "location": "main",
            "version": 42,
            "on_hand": "7",
            "on_order": "5",
            "demand": "-3",
            "available": "4",
            "projected": "9",
            "delta": {"on_hand": "-3", "on_order": "0", "demand": "3"},
            "caused_by": ["00000000-0000-4000-8000-000000000011"],
        },
    )
)
"""A valid ``inventory.balance_changed`` event."""

DEAD_LETTER_EXAMPLE: Final[Mapping[str, Any]] = MappingProxyType(
    {
        "schema_version": 1,
        "reason": "not_json",
        "message": "message is not JSON: Expecting value: line 1 column 1 (char 0)",
        "source_topic": "sales.v1",
        "source_partition": 3,
        "source_offset": 1024,
        "key": "U08tNTAx",
        "value": "bm90IGpzb24=",
        "headers": [{"key": "producer", "value": "ZXJw"}],
        "event_id": None,
        "event_type": None,
        "rejected_at": "2026-11-20T10:15:02+00:00",
    }
)
"""A valid dead-letter record."""
