"""One instance per repeated value: shared by exact representation, bounded, value-neutral."""

from __future__ import annotations

from decimal import Decimal
from unittest.mock import patch

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inventory_ledger.domain import sharing
from inventory_ledger.domain.item import ItemKey
from inventory_ledger.domain.sharing import shared_decimal, shared_item

pytestmark = pytest.mark.unit


@given(st.decimals(allow_nan=False, allow_infinity=False))
def test_a_shared_decimal_keeps_the_exact_representation(value: Decimal) -> None:
    # an empty table: other tests in the process may have filled the shared one to its bound
    with patch.object(sharing, "_DECIMALS", {}):
        shared = shared_decimal(value)
        assert str(shared) == str(value)
        assert shared.as_tuple() == value.as_tuple()
        assert shared_decimal(Decimal(str(value))) is shared


@patch.object(sharing, "_DECIMALS", {})
def test_equal_decimals_that_print_differently_are_not_merged() -> None:
    one, one_point_zero = shared_decimal(Decimal("1")), shared_decimal(Decimal("1.0"))
    assert one == one_point_zero
    assert str(one) == "1"
    assert str(one_point_zero) == "1.0"
    assert shared_decimal(Decimal("-0")).is_signed()


@patch.object(sharing, "_ITEMS", {})
def test_an_item_is_shared_with_its_strings() -> None:
    lic, location = "".join(["SKU-", "shared"]), "".join(["wh-", "1"])  # built, not literals
    first = shared_item(lic, location)
    again = shared_item("".join(["SKU-", "shared"]), "".join(["wh-", "1"]))
    assert again is first
    assert first == ItemKey("SKU-shared", "wh-1")
    assert first.lic is again.lic


def test_past_the_bound_values_are_kept_as_they_are(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sharing, "_LIMIT", 0)
    monkeypatch.setattr(sharing, "_DECIMALS", {})
    monkeypatch.setattr(sharing, "_ITEMS", {})
    value = Decimal("12.345")
    assert shared_decimal(value) is value
    assert shared_decimal(Decimal("12.345")) is not value
    assert shared_item("A", "B") is not shared_item("A", "B")
    assert sharing._DECIMALS == {}
    assert sharing._ITEMS == {}
