"""Balances are Σ transactions per bucket; derived figures; as-of; reconciliation."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from inventory_ledger.domain import Balance, Bucket, ItemKey, Mismatch, Transaction, fold, reconcile

from .builders import T0

pytestmark = pytest.mark.unit

A = ItemKey("A", "main")


def _txn(bucket: Bucket, qty: str, minutes: int = 0) -> Transaction:
    return Transaction(A, bucket, Decimal(qty), T0 + timedelta(minutes=minutes), "e", "doc:1")


def test_available_and_projected() -> None:
    balance = Balance(on_hand=Decimal(7), on_order=Decimal(5), demand=Decimal(-3))
    assert (balance.available, balance.projected) == (Decimal(4), Decimal(9))


def test_fold_sums_per_bucket_and_as_of_is_inclusive() -> None:
    txns = [
        _txn(Bucket.ON_HAND, "5", 0),
        _txn(Bucket.DEMAND, "-2", 1),
        _txn(Bucket.ON_HAND, "-1", 2),
    ]

    assert fold(txns) == {A: Balance(Decimal(4), Decimal(0), Decimal(-2))}
    assert fold(txns, as_of=T0 + timedelta(minutes=1)) == {
        A: Balance(Decimal(5), Decimal(0), Decimal(-2))
    }
    assert fold(txns, as_of=T0 - timedelta(seconds=1)) == {}


def test_reconcile_reports_a_cached_balance_that_drifted() -> None:
    txns = [_txn(Bucket.ON_ORDER, "3")]
    drifted = {A: Balance(on_order=Decimal(2))}

    assert reconcile(fold(txns), txns) == ()
    assert reconcile(drifted, txns) == (Mismatch(A, drifted[A], Balance(on_order=Decimal(3))),)
    assert reconcile({}, txns) == (Mismatch(A, Balance(), Balance(on_order=Decimal(3))),)


def test_a_zero_transaction_cannot_exist() -> None:
    with pytest.raises(ValueError, match="zero-quantity"):
        _txn(Bucket.ON_HAND, "0.000")
