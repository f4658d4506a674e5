"""Quantities and money: exact decimals from JSON numbers or strings, canonical on the way out."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inventory_contracts import parse_event
from tests.unit.contracts.support import Example, accepted, encode, example_of, rejected

pytestmark = pytest.mark.unit

_QTY = st.decimals(
    min_value=Decimal("0.000001"),
    max_value=Decimal("999999999999999999.999999"),
    places=6,
    allow_nan=False,
    allow_infinity=False,
)


def _order(example: Example, qty: Any) -> dict[str, Any]:
    document = example("order.opened")
    document["data"]["lines"][0]["qty"] = qty
    return document


def _qty_of(document: dict[str, Any]) -> Decimal:
    return accepted(document).data.lines[0].qty  # type: ignore[union-attr]


def _with_raw_qty(example: Example, literal: str) -> bytes:
    """The example with ``qty`` spelled as the raw JSON ``literal`` (a number, not a string)."""
    marker = "__QTY__"
    return encode(_order(example, marker)).replace(f'"{marker}"'.encode(), literal.encode())


@given(qty=_QTY)
def test_quantity_as_json_number_is_exact(qty: Decimal) -> None:
    event = parse_event(_with_raw_qty(example_of, format(qty, "f")))

    assert event.data.lines[0].qty == qty  # type: ignore[union-attr]


@given(qty=_QTY)
def test_quantity_as_json_string_round_trips_as_a_canonical_string(qty: Decimal) -> None:
    event = accepted(_order(example_of, format(qty, "f")))

    text = json.loads(event.model_dump_json())["data"]["lines"][0]["qty"]

    assert Decimal(text) == qty
    assert "E" not in text
    assert text == format(qty.normalize(), "f") or "." not in text
    assert parse_event(event.model_dump_json().encode()) == event


@pytest.mark.parametrize(
    ("literal", "expected"),
    [
        ("0.1", "0.1"),
        ("2.675", "2.675"),
        ("1.000001", "1.000001"),
        ("123456789012345678.123456", "123456789012345678.123456"),
        ("1e2", "100"),
        ("1.50", "1.5"),
        ("3", "3"),
    ],
)
def test_json_numbers_do_not_drift_through_float(
    literal: str, expected: str, example: Example
) -> None:
    event = parse_event(_with_raw_qty(example, literal))

    assert str(event.data.lines[0].qty) == expected  # type: ignore[union-attr]


@pytest.mark.parametrize("qty", ["2.5", "2.500000000", 2, "1E+2", " 4 "])
def test_valid_quantity_spellings(qty: object, example: Example) -> None:
    assert _qty_of(_order(example, qty)) > 0


@pytest.mark.parametrize(
    ("qty", "message"),
    [
        ("0", "must be positive"),
        (0, "must be positive"),
        ("-1", "must be positive"),
        ("0.0000001", "must have at most 6 decimal places"),
        ("1.1234567", "must have at most 6 decimal places"),
        ("1e30", "must have at most 24 digits"),
        ("NaN", "must be a finite number (no NaN or Infinity)"),
        ("Infinity", "must be a finite number (no NaN or Infinity)"),
        ("-inf", "must be a finite number (no NaN or Infinity)"),
        ("three", "must be a decimal number or a decimal string"),
        ("", "must be a decimal number or a decimal string"),
        (True, "must be a decimal number or a decimal string"),
        (None, "must be a decimal number or a decimal string"),
    ],
)
def test_invalid_quantities(qty: object, message: str, example: Example) -> None:
    assert rejected(_order(example, qty)) == f"data.lines[0].qty: {message}"


def test_money_may_be_zero_but_not_negative(example: Example) -> None:
    document = example("purchase_order.opened")
    document["data"]["lines"][0]["est_unit_cost"] = "0"
    assert accepted(document)

    document["data"]["lines"][0]["est_unit_cost"] = "-0.01"
    assert rejected(document) == "data.lines[0].est_unit_cost: must not be negative"


@pytest.mark.parametrize(
    ("event_type", "where"),
    [
        ("purchase.opened", "data.freight"),
        ("purchase.opened", "data.lines[0].unit_cost"),
        ("job.closed", "data.additional_cost"),
    ],
)
@pytest.mark.parametrize(
    ("bad", "message"),
    [("-1", "must not be negative"), ("NaN", "must be a finite number (no NaN or Infinity)")],
)
def test_every_money_field_rejects_negative_and_nan(
    event_type: str, where: str, bad: str, message: str, example: Example
) -> None:
    document = example(event_type)
    data = document["data"]
    if where.startswith("data.lines"):
        data["lines"][0]["unit_cost"] = bad
    else:
        data[where.removeprefix("data.")] = bad

    assert rejected(document) == f"{where}: {message}"
