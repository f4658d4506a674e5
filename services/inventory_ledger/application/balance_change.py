"""A committed change of one item's balances: what the outbox publishes as balance_changed."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from inventory_ledger.domain.balance import Balance
from inventory_ledger.domain.item import ItemKey

__all__ = ["BALANCE_CHANGED_NAMESPACE", "BalanceChange", "VersionedBalance"]

BALANCE_CHANGED_NAMESPACE = uuid.UUID("6f0f8a4e-5d0b-4b7e-9a55-2d1f7c3b9e10")
"""uuid5 namespace of balance_changed event ids: the same change always gets the same id."""


@dataclass(frozen=True, slots=True)
class VersionedBalance:
    """An item's cached balance and how many committed changes led to it."""

    balance: Balance
    version: int


@dataclass(frozen=True, slots=True)
class BalanceChange:
    """Balances of ``item`` after a batch, the delta it made, and the events that caused it.

    ``version`` is the item's previous version + 1: strictly increasing per item, no gaps,
    assigned while the item's balance row is locked, so commit order = version order.
    """

    item: ItemKey
    version: int
    balance: Balance
    delta: Balance
    occurred_at: datetime
    caused_by: tuple[str, ...]

    @property
    def event_id(self) -> str:
        """Deterministic id of the outbound event (uuid5 of ``{location}/{lic}/{version}``)."""
        return str(uuid.uuid5(BALANCE_CHANGED_NAMESPACE, f"{self.item}/{self.version}"))
