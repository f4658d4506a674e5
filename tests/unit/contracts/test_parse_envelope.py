"""The envelope and the models: event type, schema version, field paths in messages."""

from __future__ import annotations

import contextlib
import json
import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inventory_contracts import (
    MAX_LINES_PER_DOCUMENT,
    ContractError,
    Reason,
    parse_event,
    parse_event_dict,
)
from inventory_contracts.examples import INBOUND_EXAMPLES
from tests.unit.contracts.support import Example, accepted, encode, rejected

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("value", [[], "text", 1, 1.5, True, None])
def test_json_that_is_not_an_object_is_schema(value: object) -> None:
    assert "must be a JSON object" in rejected(value)


def test_missing_event_type_is_schema(example: Example) -> None:
    document = example("order.closed")
    del document["event_type"]

    assert rejected(document) == "event_type: is required"


def test_non_string_event_type_is_schema(example: Example) -> None:
    document = example("order.closed")
    document["event_type"] = ["order.closed"]

    assert rejected(document) == "event_type: must be a string"


@pytest.mark.parametrize(
    "event_type", ["order.shipped", "", "ORDER.OPENED", "inventory.balance_changed"]
)
def test_unknown_event_type(event_type: str, example: Example) -> None:
    document = example("order.closed")
    document["event_type"] = event_type

    message = rejected(document, Reason.UNKNOWN_EVENT_TYPE)

    assert message.startswith("event_type: ")


@pytest.mark.parametrize("version", [2, 17])
def test_newer_schema_version_is_unsupported(version: int, example: Example) -> None:
    document = example("order.opened")
    document["schema_version"] = version
    document["data"]["new_v2_field"] = {"shape": "unknown to v1"}

    message = rejected(document, Reason.UNSUPPORTED_SCHEMA_VERSION)

    assert message.startswith("schema_version: ")


@pytest.mark.parametrize("version", [0, -1, "1", 1.0, True, None])
def test_malformed_schema_version_is_schema(version: object, example: Example) -> None:
    document = example("order.opened")
    document["schema_version"] = version

    assert rejected(document).startswith("schema_version: ")


def test_missing_schema_version_is_schema(example: Example) -> None:
    document = example("order.opened")
    del document["schema_version"]

    assert rejected(document) == "schema_version: is required"


def test_too_many_lines(example: Example) -> None:
    document = example("order.opened")
    line = document["data"]["lines"][0]
    document["data"]["lines"] = [
        {**line, "line_id": str(n)} for n in range(MAX_LINES_PER_DOCUMENT + 1)
    ]

    message = rejected(document, Reason.TOO_MANY_LINES)

    assert message == f"data.lines: must have at most {MAX_LINES_PER_DOCUMENT} items"


def test_lines_at_the_limit_are_read(example: Example) -> None:
    document = example("order.opened")
    line = document["data"]["lines"][0]
    document["data"]["lines"] = [{**line, "line_id": str(n)} for n in range(MAX_LINES_PER_DOCUMENT)]

    assert len(accepted(document).data.lines) == MAX_LINES_PER_DOCUMENT  # type: ignore[union-attr]


def test_message_names_the_field_path(example: Example) -> None:
    document = example("order.opened")
    line = document["data"]["lines"][0]
    document["data"]["lines"] = [
        line,
        {**line, "line_id": "2"},
        {**line, "line_id": "3", "qty": "0"},
    ]

    assert rejected(document) == "data.lines[2].qty: must be positive"


def test_several_errors_are_listed_and_counted(example: Example) -> None:
    document = example("order.opened")
    line = document["data"]["lines"][0]
    document["data"]["lines"] = [{**line, "line_id": str(n), "qty": "-1"} for n in range(8)]

    message = rejected(document)

    assert message.count("must be positive") == 5
    assert message.endswith("(3 more errors)"), message


def test_missing_data_field_is_named(example: Example) -> None:
    document = example("shipment.shipped")
    del document["data"]["lines"][0]["lic"]

    assert rejected(document) == "data.lines[0].lic: is required"


def test_unknown_fields_are_ignored(example: Example) -> None:
    document = example("shipment.received")
    document["trace_id"] = "abc"
    document["data"]["carrier"] = {"name": "DHL"}
    document["data"]["lines"][0]["pallet"] = 3

    event = accepted(document)

    assert "carrier" not in event.data.model_dump()


def test_parse_event_dict_accepts_decoded_json(example: Example) -> None:
    event = parse_event_dict(example("job.closed"))

    assert event.event_type == "job.closed"


def test_contract_error_carries_reason_and_message_and_pickles() -> None:
    error = ContractError("schema", "data.po_id: is required")

    again = pickle.loads(pickle.dumps(error))

    assert (again.reason, again.message) == (Reason.SCHEMA, "data.po_id: is required")
    assert str(again) == "schema: data.po_id: is required"


def test_every_reason_is_documented() -> None:
    assert {reason.value for reason in Reason} == {
        "too_large",
        "not_utf8",
        "too_deep",
        "not_json",
        "unknown_event_type",
        "unsupported_schema_version",
        "too_many_lines",
        "schema",
    }


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@given(
    st.sampled_from(["order.opened", "shipment.received", "adjustment.posted", "job.opened"]),
    _json,
    st.sampled_from(["data", "event_id", "occurred_at", "schema_version"]),
)
def test_arbitrary_json_in_a_field_raises_only_contract_error(
    event_type: str, value: object, field: str
) -> None:
    document = json.loads(json.dumps(INBOUND_EXAMPLES[event_type]))
    document[field] = value
    with contextlib.suppress(ContractError):
        parse_event(encode(document))
