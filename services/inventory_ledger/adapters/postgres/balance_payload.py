"""The outbox payload of a balance change: the full ``inventory.balance_changed`` envelope.

Built as plain JSON with the contract's field names (``inventory_contracts.BalanceChanged``;
a test validates the output against that model), because this runs once per changed item in
the hot path of every batch.
"""

from __future__ import annotations

from decimal import Decimal

import orjson

from inventory_ledger.application.balance_change import BalanceChange

__all__ = ["balance_changed_payload"]


def _num(value: Decimal) -> str:
    """A decimal as the contract writes it: plain notation, no exponent, no trailing zeros."""
    text = format(value.normalize(), "f")
    return "0" if text in {"-0", "0"} else text


def balance_changed_payload(change: BalanceChange) -> str:
    """The JSON text published to ``inventory.balance-changed.v1`` for ``change``."""
    b, d = change.balance, change.delta
    return orjson.dumps(
        {
            "event_id": change.event_id,
            "event_type": "inventory.balance_changed",
            "schema_version": 1,
            "occurred_at": change.occurred_at.isoformat(),
            "data": {
                "lic": change.item.lic,
                "location": change.item.location,
                "version": change.version,
                "on_hand": _num(b.on_hand),
                "on_order": _num(b.on_order),
                "demand": _num(b.demand),
                "available": _num(b.available),
                "projected": _num(b.projected),
                "delta": {
                    "on_hand": _num(d.on_hand),
                    "on_order": _num(d.on_order),
                    "demand": _num(d.demand),
                },
                "caused_by": list(change.caused_by),
            },
        }
    ).decode()
