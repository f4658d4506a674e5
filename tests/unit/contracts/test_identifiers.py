"""Ids, codes, free text and timestamps: bounded, clean strings and explicit timezones."""

from __future__ import annotations

import json

import pytest

from inventory_contracts import Reason
from tests.unit.contracts.support import Example, accepted, encode, rejected

pytestmark = pytest.mark.unit


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
