"""parse_event: each way bytes can fail the contract gets its own reason and a named field."""

from __future__ import annotations

import contextlib
import json
import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inventory_contracts import (
    MAX_DEPTH,
    MAX_LINES_PER_DOCUMENT,
    MAX_MESSAGE_BYTES,
    ContractError,
    Reason,
    parse_event,
    parse_event_dict,
)
from tests.unit.contracts.support import Example, accepted, encode, rejected

pytestmark = pytest.mark.unit


def test_message_over_the_size_limit_is_too_large(example: Example) -> None:
    document = example("order.closed")
    document["padding"] = "x" * MAX_MESSAGE_BYTES

    message = rejected(document, Reason.TOO_LARGE)

    assert str(MAX_MESSAGE_BYTES) in message


def test_message_at_the_size_limit_is_read(example: Example) -> None:
    head = encode(example("order.closed"))[:-1] + b', "padding": "'
    exact = head + b"x" * (MAX_MESSAGE_BYTES - len(head) - 2) + b'"}'

    assert len(exact) == MAX_MESSAGE_BYTES
    assert parse_event(exact).event_type == "order.closed"


@pytest.mark.parametrize(
    "raw", [b"\xff\xfe{}", b'{"event_id": "caf\xe9"}', b'{"a": "\xed\xa0\x80"}']
)
def test_invalid_utf8_is_not_utf8(raw: bytes) -> None:
    rejected(raw, Reason.NOT_UTF8)


@pytest.mark.parametrize(("opener", "closer"), [(b"[", b"]"), (b'{"a":', b"}")])
def test_twenty_thousand_deep_json_is_too_deep_without_recursion_error(
    opener: bytes, closer: bytes
) -> None:
    raw = opener * 20_000 + b"1" + closer * 20_000

    message = rejected(raw, Reason.TOO_DEEP)

    assert str(MAX_DEPTH) in message


def test_unbalanced_deep_prefix_is_too_deep_not_a_crash() -> None:
    rejected(b"[" * 20_000, Reason.TOO_DEEP)


def test_depth_at_the_limit_is_read_and_brackets_in_strings_do_not_count(
    example: Example,
) -> None:
    document = example("order.closed")
    nested: object = "[[[{{{" * 10_000
    for _ in range(MAX_DEPTH - 1):  # the envelope itself is the first level
        nested = [nested]
    document["extension"] = nested

    assert accepted(document).event_type == "order.closed"

    document["extension"] = [nested]
    rejected(document, Reason.TOO_DEEP)


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"   ",
        b'{"event_id": ',
        b"{'single': 'quotes'}",
        b'{"a": 1} {"b": 2}',
        b'{"a": NaN}',
        b'{"a": Infinity}',
        b'{"a": -Infinity}',
        b"\xef\xbb\xbf{}",  # a UTF-8 byte order mark is not JSON
    ],
)
def test_malformed_json_is_not_json(raw: bytes) -> None:
    rejected(raw, Reason.NOT_JSON)


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


def test_parse_event_accepts_bytearray_and_memoryview(example: Example) -> None:
    raw = encode(example("job.closed"))

    assert parse_event(bytearray(raw)) == parse_event(memoryview(raw)) == parse_event(raw)  # type: ignore[arg-type]


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


@given(st.binary(max_size=256))
def test_arbitrary_bytes_raise_only_contract_error(raw: bytes) -> None:
    with contextlib.suppress(ContractError):
        parse_event(raw)


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
    from inventory_contracts.examples import INBOUND_EXAMPLES

    document = json.loads(json.dumps(INBOUND_EXAMPLES[event_type]))
    document[field] = value
    with contextlib.suppress(ContractError):
        parse_event(encode(document))


def _depth(value: object) -> int:
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    return 0


_tricky_text = st.text(alphabet='[]{}"\\ab\n\u00e9\u20ac', max_size=12)
_nested = st.recursive(
    st.none() | st.integers() | _tricky_text,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(_tricky_text, children, max_size=3)
    ),
    max_leaves=12,
)


@given(value=_nested, wraps=st.integers(min_value=0, max_value=MAX_DEPTH + 3))
def test_depth_is_counted_exactly_whatever_the_strings_contain(value: object, wraps: int) -> None:
    for level in range(wraps):
        value = [value] if level % 2 else {"k[": value}
    document = [value]  # a top-level array: within the depth limit it is a schema error

    raw = json.dumps(document, ensure_ascii=False).encode()
    expected = Reason.TOO_DEEP if _depth(document) > MAX_DEPTH else Reason.SCHEMA

    with pytest.raises(ContractError) as caught:
        parse_event(raw)
    assert caught.value.reason is expected


def test_escaped_quotes_do_not_hide_brackets_from_the_depth_check() -> None:
    inner = '\\"' + "[" * 40 + '\\"'
    raw = ('{"a": "' + inner + '", "b": ' + "[" * 40 + "]" * 40 + "}").encode()

    rejected(raw, Reason.TOO_DEEP)
    rejected(('{"a": "' + inner + '"}').encode(), Reason.SCHEMA)
