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
    if not value:  # 0, -0, 0E-6...: most deltas
        return "0"
    return format(value.normalize(), "f")


def balance_changed_payload(change: BalanceChange, event_id: str | None = None) -> str:
    """The JSON text published to ``inventory.balance-changed.v1`` for ``change``.

    ``event_id`` is ``change.event_id`` when the caller has it already (a uuid5 costs a hash).
    """
    b, d = change.balance, change.delta
    return orjson.dumps(
        {
            "event_id": change.event_id if event_id is None else event_id,
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
