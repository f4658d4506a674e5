"""Hostile Kafka records through the consumer's parser (``split_records``): bounded dead letters.

The contract tests (tests/unit/contracts/test_parse_bytes.py, test_parse_envelope.py) check
``parse_event`` on its own: size, UTF-8, a 20 000-deep document, 1001 lines. These check the
step the consumer runs on every batch: nothing raises out of it, every bad record becomes a dead
letter with its reason and its original bytes, the good records around it still go through in
order, and the memory a hostile record costs stays bounded by the 1 MiB message limit.
"""

from __future__ import annotations

import copy
import json
import sys
import tracemalloc
from collections.abc import Callable
from typing import Any

import pytest
from aiokafka.structs import ConsumerRecord

from inventory_contracts import MAX_LINES_PER_DOCUMENT, MAX_MESSAGE_BYTES
from inventory_contracts.examples import INBOUND_EXAMPLES
from inventory_ledger.adapters.kafka.records import split_records
from inventory_ledger.application.dead_letter import DeadLetter, MessageSource

pytestmark = pytest.mark.unit

_TOPIC = "sales.v1"


def _record(value: bytes | None, offset: int = 0, key: bytes | None = b"SO-501") -> ConsumerRecord:
    return ConsumerRecord(
        topic=_TOPIC,
        partition=2,
        offset=offset,
        timestamp=0,
        timestamp_type=0,
        key=key,
        value=value,
        checksum=None,
        serialized_key_size=len(key or b""),
        serialized_value_size=len(value or b""),
        headers=[("trace", b"t-1")],
    )


def _order(**data: Any) -> dict[str, Any]:
    document = copy.deepcopy(dict(INBOUND_EXAMPLES["order.opened"]))
    document["data"].update(data)
    return document


def _lines_message(count: int, line: bytes = b"{}") -> bytes:
    """An order.opened whose ``lines`` holds ``count`` copies of ``line``, built as bytes."""
    head, tail = json.dumps(_order(lines="LINES")).encode().split(b'"LINES"')
    return head + b"[" + b",".join([line] * count) + b"]" + tail


def _only_letter(value: bytes | None) -> DeadLetter:
    inbound, letters = split_records([_record(value, offset=7)])
    assert inbound == []
    assert len(letters) == 1
    letter = letters[0]
    assert letter.source == MessageSource(_TOPIC, 2, 7)
    assert letter.value == (value or b"")  # the original bytes, for replay after a fix
    assert letter.key == b"SO-501"
    assert letter.headers == (("trace", b"t-1"),)
    return letter


def _peak_bytes(run: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


_DEPTH = 100_000


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("arrays", b"[" * _DEPTH + b"]" * _DEPTH),
        ("objects", b'{"a":' * _DEPTH + b"1" + b"}" * _DEPTH),
        ("unclosed", b"[" * _DEPTH),
        (
            "inside a valid envelope",
            json.dumps(_order(customer="X")).encode()[:-1]
            + b', "extension": '
            + b"[" * _DEPTH
            + b"]" * _DEPTH
            + b"}",
        ),
    ],
)
def test_json_nested_100k_deep_is_a_too_deep_dead_letter_not_a_recursion_error(
    name: str, raw: bytes
) -> None:
    if name != "unclosed":  # the input is really dangerous to a recursive parser
        assert sys.getrecursionlimit() < _DEPTH
        with pytest.raises(RecursionError):
            json.loads(raw)

    letter = _only_letter(raw)

    assert letter.reason == "too_deep"
    assert "nested deeper than 32" in letter.message


def test_a_million_lines_are_refused_by_size_before_any_is_built() -> None:
    raw = _lines_message(1_000_000)
    assert len(raw) > MAX_MESSAGE_BYTES

    holder: list[DeadLetter] = []
    peak = _peak_bytes(lambda: holder.append(_only_letter(raw)))

    assert holder[0].reason == "too_large"
    assert f"at most {MAX_MESSAGE_BYTES}" in holder[0].message
    assert peak < 256 * 1024  # no copy of the 3 MB message, no decoded line


@pytest.mark.parametrize("line", [b"{}", b"0"])
def test_as_many_lines_as_fit_in_1_mib_are_too_many_lines_with_bounded_memory(
    line: bytes,
) -> None:
    size = len(_lines_message(0))
    raw = _lines_message((MAX_MESSAGE_BYTES - size) // (len(line) + 1), line)
    assert MAX_MESSAGE_BYTES - 4 <= len(raw) <= MAX_MESSAGE_BYTES

    holder: list[DeadLetter] = []
    peak = _peak_bytes(lambda: holder.append(_only_letter(raw)))

    assert holder[0].reason == "too_many_lines"
    assert holder[0].message == f"data.lines: must have at most {MAX_LINES_PER_DOCUMENT} items"
    # ~350 000 decoded values at worst; the line models are never built
    assert peak < 64 * MAX_MESSAGE_BYTES


def test_every_line_invalid_gives_a_short_message_not_thousands_of_errors() -> None:
    line = {"line_id": "1", "lic": "", "location": "main", "qty": "-1"}
    raw = json.dumps(
        _order(lines=[{**line, "line_id": str(n)} for n in range(MAX_LINES_PER_DOCUMENT)])
    ).encode()

    letter = _only_letter(raw)

    assert letter.reason == "schema"
    assert letter.message.startswith("data.lines[0].lic: must not be empty")
    assert "(1995 more errors)" in letter.message
    assert len(letter.message) < 500


@pytest.mark.parametrize(
    "raw",
    [
        b"\xff" + json.dumps(_order()).encode(),
        json.dumps(_order(customer="Globex")).encode().replace(b"Globex", b"Glob\xe9x"),
        json.dumps(_order(customer="Globex")).encode().replace(b"Globex", b"\xed\xa0\x80"),
    ],
)
def test_invalid_utf8_is_a_not_utf8_dead_letter(raw: bytes) -> None:
    assert _only_letter(raw).reason == "not_utf8"


def test_tombstone_and_empty_values_are_not_json_dead_letters() -> None:
    assert _only_letter(None).reason == "not_json"
    assert _only_letter(b"").reason == "not_json"


def test_bad_records_never_stop_the_good_ones_around_them() -> None:
    good = json.dumps(_order()).encode()
    values = [
        good,
        b"[" * _DEPTH,
        _lines_message(1_000_000),
        b"\xff\xfe",
        json.dumps(_order(order_id="SO-502")).encode(),
        None,
    ]
    records = [_record(v, offset=n) for n, v in enumerate(values)]

    inbound, letters = split_records(records)

    assert [i.source.offset for i in inbound if i.source] == [0, 4]
    assert [i.value for i in inbound] == [values[0], values[4]]
    assert [(d.source.offset, d.reason) for d in letters] == [
        (1, "too_deep"),
        (2, "too_large"),
        (3, "not_utf8"),
        (5, "not_json"),
    ]


def test_headers_are_kept_as_tuples_and_none_are_an_empty_tuple() -> None:
    with_headers = _record(json.dumps(_order()).encode(), offset=0)
    without = ConsumerRecord(**{**with_headers.__dict__, "offset": 1, "headers": []})
    bad = ConsumerRecord(**{**with_headers.__dict__, "offset": 2, "headers": [], "value": b"{"})

    inbound, letters = split_records([with_headers, without, bad])

    assert [i.headers for i in inbound] == [(("trace", b"t-1"),), ()]
    assert [d.headers for d in letters] == [()]
