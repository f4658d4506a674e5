"""parse_event on raw bytes: size, UTF-8, nesting depth and JSON syntax, each its own reason."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inventory_contracts import (
    MAX_DEPTH,
    MAX_MESSAGE_BYTES,
    ContractError,
    Reason,
    parse_event,
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


def test_parse_event_accepts_bytearray_and_memoryview(example: Example) -> None:
    raw = encode(example("job.closed"))

    assert parse_event(bytearray(raw)) == parse_event(memoryview(raw)) == parse_event(raw)  # type: ignore[arg-type]


@given(st.binary(max_size=256))
def test_arbitrary_bytes_raise_only_contract_error(raw: bytes) -> None:
    with contextlib.suppress(ContractError):
        parse_event(raw)


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
