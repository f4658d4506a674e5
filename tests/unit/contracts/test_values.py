"""Quantities, money, ids and timestamps: exact decimals, bounded strings, explicit timezones."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inventory_contracts import Reason, parse_event
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


def test_event_id_bounds(example: Example) -> None:
    document = example("order.closed")
    document["event_id"] = "x" * 128
    assert accepted(document).event_id == "x" * 128

    document["event_id"] = "x" * 129
    assert rejected(document) == "event_id: must be at most 128 characters"
    document["event_id"] = ""
    assert rejected(document) == "event_id: must not be empty"
    document["event_id"] = 42
    assert rejected(document) == "event_id: must be a string"


@pytest.mark.parametrize("bad", ["", " PO-1", "PO-1 ", "PO\n1", "x" * 129])
def test_document_ids_are_trimmed_one_line_and_bounded(bad: str, example: Example) -> None:
    document = example("purchase_order.closed")
    document["data"]["po_id"] = bad

    assert rejected(document).startswith("data.po_id: ")


def test_lic_and_location_are_at_most_64_characters(example: Example) -> None:
    document = example("order.opened")
    line = document["data"]["lines"][0]
    line["lic"], line["location"] = "L" * 64, "W" * 64
    assert accepted(document)

    line["lic"] = "L" * 65
    assert rejected(document) == "data.lines[0].lic: must be at most 64 characters"
    line["lic"], line["location"] = "L", ""
    assert rejected(document) == "data.lines[0].location: must not be empty"


def test_location_defaults_to_main(example: Example) -> None:
    document = example("order.opened")
    del document["data"]["lines"][0]["location"]

    assert accepted(document).data.lines[0].location == "main"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "occurred_at",
    ["2026-11-20T10:15:00Z", "2026-11-20T11:15:00+01:00", "2026-11-20T10:15:00.123456-05:30"],
)
def test_timestamps_with_an_offset_are_accepted(occurred_at: str, example: Example) -> None:
    document = example("order.closed")
    document["occurred_at"] = occurred_at

    assert accepted(document).occurred_at.utcoffset() is not None


@pytest.mark.parametrize(
    ("occurred_at", "message"),
    [
        ("2026-11-20T10:15:00", "must include a timezone offset (e.g. Z or +01:00)"),
        ("2026-11-20", "must include a timezone offset (e.g. Z or +01:00)"),
        ("yesterday", "must be an RFC 3339 date-time with a timezone"),
        (1763633700, "must be an RFC 3339 date-time string with a timezone"),
        (None, "must be an RFC 3339 date-time string with a timezone"),
    ],
)
def test_timestamps_without_timezone_are_rejected(
    occurred_at: object, message: str, example: Example
) -> None:
    document = example("order.closed")
    document["occurred_at"] = occurred_at

    assert rejected(document, Reason.SCHEMA) == f"occurred_at: {message}"


@pytest.mark.parametrize(
    ("spelled", "message"),
    [
        ("a\\u0000b", "must not have control characters or leading/trailing whitespace"),
        ("a\\tb", "must not have control characters or leading/trailing whitespace"),
        ("a\\u007fb", "must not have control characters or leading/trailing whitespace"),
        ("\\ud800", "must be Unicode text (no lone surrogate escapes)"),
    ],
)
def test_ids_reject_control_characters_and_lone_surrogates(
    spelled: str, message: str, example: Example
) -> None:
    raw = encode(example("order.closed")).replace(b'"SO-501"', f'"{spelled}"'.encode())

    assert rejected(raw) == f"data.order_id: {message}"


def test_free_text_may_span_lines_but_has_no_nul(example: Example) -> None:
    document = example("order.opened")
    document["data"]["customer"] = "Globex\nAttn: receiving\t(dock 4) \N{EURO SIGN}"
    assert accepted(document)

    document["data"]["customer"] = "Glo\x00bex"
    assert rejected(document) == "data.customer: must not contain NUL characters"


def test_escaped_astral_characters_are_fine(example: Example) -> None:
    raw = encode(example("order.closed")).replace(b'"SO-501"', b'"SO-\\ud83d\\ude00"')

    assert accepted(json.loads(raw)).data.order_id == "SO-\N{GRINNING FACE}"  # type: ignore[union-attr]
