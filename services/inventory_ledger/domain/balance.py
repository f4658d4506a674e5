"""Balances: the sums of an item's transactions per bucket.

Balances are a cache of the ledger (invariant 2): anything that holds balances can be checked
against, or rebuilt from, the transactions with :func:`fold`; :func:`reconcile` reports where
the two disagree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from .item import ZERO, Bucket, ItemKey
from .transaction import Transaction

__all__ = ["Balance", "Mismatch", "fold", "reconcile"]


@dataclass(frozen=True, slots=True)
class Balance:
    """The three balances of one item and the two figures derived from them."""

    on_hand: Decimal = ZERO
    on_order: Decimal = ZERO
    demand: Decimal = ZERO

    @property
    def available(self) -> Decimal:
        """What can be promised now: ``on_hand + demand``."""
        return self.on_hand + self.demand

    @property
    def projected(self) -> Decimal:
        """What will be left when everything open arrives and leaves."""
        return self.on_hand + self.on_order + self.demand

    @property
    def is_zero(self) -> bool:
        """All three buckets are 0 (an item whose movements all cancelled out)."""
        return self.on_hand == ZERO and self.on_order == ZERO and self.demand == ZERO

    def moved(self, bucket: Bucket, qty: Decimal) -> Balance:
        """This balance after a change of ``qty`` in ``bucket``."""
        if bucket is Bucket.ON_HAND:
            return Balance(self.on_hand + qty, self.on_order, self.demand)
        if bucket is Bucket.ON_ORDER:
            return Balance(self.on_hand, self.on_order + qty, self.demand)
        return Balance(self.on_hand, self.on_order, self.demand + qty)

    def __add__(self, other: Balance) -> Balance:
        """Bucket-wise sum: a balance plus a delta."""
        return Balance(
            self.on_hand + other.on_hand,
            self.on_order + other.on_order,
            self.demand + other.demand,
        )


@dataclass(frozen=True, slots=True)
class Mismatch:
    """An item whose cached balance differs from the sum of its transactions."""

    item: ItemKey
    balance: Balance
    transactions: Balance


def fold(
    transactions: Iterable[Transaction], *, as_of: datetime | None = None
) -> dict[ItemKey, Balance]:
    """Balances of every item that has a transaction (up to business time ``as_of``, inclusive).

    Also the delta of a batch: fold its new transactions and add them to the old balances.
    """
    balances: dict[ItemKey, Balance] = {}
    for txn in transactions:
        if as_of is None or txn.occurred_at <= as_of:
            balances[txn.item] = balances.get(txn.item, Balance()).moved(txn.bucket, txn.qty)
    return balances


def reconcile(
    balances: Mapping[ItemKey, Balance], transactions: Iterable[Transaction]
) -> tuple[Mismatch, ...]:
    """Items whose balance is not Σ ``transactions`` per bucket (a missing item counts as 0)."""
    sums = fold(transactions)
    return tuple(
        Mismatch(item, balances.get(item, Balance()), sums.get(item, Balance()))
        for item in sorted({*balances, *sums})
        if balances.get(item, Balance()) != sums.get(item, Balance())
    )
