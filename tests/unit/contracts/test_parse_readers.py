"""The two JSON readers of parse_event give one outcome: the exact reader's.

The contract's JSON is the standard library's reading with ``parse_float=Decimal``
(``inventory_contracts.parse._decode``). ``parse_event`` reads messages with orjson first; these
tests hold it to exactly what the exact reader followed by ``parse_event_dict`` gives: the same
event, or the same reason and message.
"""

from __future__ import annotations

import json
import typing
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from inventory_contracts import (
    MAX_MESSAGE_BYTES,
    ContractError,
    Reason,
    parse_event,
    parse_event_dict,
    quantities,
)
from inventory_contracts import parse as parse_module
from inventory_contracts.envelope import ContractModel
from inventory_contracts.inbound import INBOUND_EVENTS
from tests.unit.contracts.support import Example, encode, example_of

pytestmark = pytest.mark.unit


def _exact(raw: bytes) -> object:
    """What the exact reader and ``parse_event_dict`` make of ``raw``: an event or an error."""
    assert len(raw) <= MAX_MESSAGE_BYTES
    try:
        return parse_event_dict(parse_module._decode(raw))
    except ContractError as exc:
        return (exc.reason, exc.message)


def _outcome(raw: bytes) -> object:
    try:
        return parse_event(raw)
    except ContractError as exc:
        return (exc.reason, exc.message)


def _same(raw: bytes) -> object:
    got, want = _outcome(raw), _exact(raw)
    assert got == want
    if not isinstance(want, tuple):  # the same amounts, spelled the same (2.5, not 2.50)
        assert got.model_dump_json() == want.model_dump_json()  # type: ignore[union-attr]
    return got


_MARK = "__LITERAL__"


def _with_literal(event_type: str, where: str, literal: str) -> bytes:
    """The example with the JSON text ``literal`` at ``where`` (``data.lines.0.qty``, ...)."""
    document = example_of(event_type)
    *path, last = where.split(".")
    node: Any = document
    for part in path:
        node = node[int(part)] if part.isdigit() else node[part]
    node[last] = _MARK
    return encode(document).replace(f'"{_MARK}"'.encode(), literal.encode())


_PLACES = [
    ("order.opened", "data.lines.0.qty"),
    ("purchase_order.opened", "data.lines.0.est_unit_cost"),
    ("purchase.opened", "data.freight"),
    ("job.closed", "data.additional_cost"),
    ("order.closed", "schema_version"),
    ("order.closed", "data.order_id"),
    ("order.closed", "occurred_at"),
    ("order.closed", "extension"),
]

_NUMBER = st.from_regex(
    r"\A-?(0|[1-9][0-9]{0,27})(\.[0-9]{1,9})?([eE][+-]?[0-9]{1,3})?\Z", fullmatch=True
)


@pytest.mark.parametrize(
    "literal",
    [
        "0.1",
        "2.50",
        "123456789012345678.123456",
        "1.000000000000000000000000000000001",
        "1e2",
        "1E+2",
        "-0.0",
        "1e400",
        "18446744073709551617",
        "-9223372036854775809",
        "9223372036854775807",
        "999999999999999999999999",
        "NaN",
        "-Infinity",
        '"\\ud800"',
        '"\\udc00\\ud800"',
        '"caf\\u00e9"',
        "[1.5, 2]",
        '{"a": 1e5}',
        "true",
        "null",
        "[" * 33 + "]" * 33,
        '{"a": ' * 40 + "1" + "}" * 40,
    ],
)
@pytest.mark.parametrize(("event_type", "where"), _PLACES)
def test_numbers_and_strings_orjson_reads_otherwise_give_the_exact_outcome(
    event_type: str, where: str, literal: str
) -> None:
    _same(_with_literal(event_type, where, literal))


@given(st.sampled_from(_PLACES), _NUMBER)
def test_any_json_number_anywhere_gives_the_exact_outcome(
    place: tuple[str, str], literal: str
) -> None:
    _same(_with_literal(*place, literal))


def test_amounts_are_never_rounded_through_a_float() -> None:
    raw = _with_literal("purchase.opened", "data.freight", "999999999999999999.999999")

    assert parse_event(raw).data.freight == Decimal("999999999999999999.999999")  # type: ignore[union-attr]
    raw = _with_literal("order.opened", "data.lines.0.qty", "123456789012345678.123456")
    assert parse_event(raw).data.lines[0].qty == Decimal("123456789012345678.123456")  # type: ignore[union-attr]


def test_a_version_beyond_64_bits_is_still_an_unsupported_version() -> None:
    raw = _with_literal("order.closed", "schema_version", "18446744073709551617")

    with pytest.raises(ContractError) as caught:
        parse_event(raw)

    assert caught.value.reason is Reason.UNSUPPORTED_SCHEMA_VERSION


def test_what_only_the_exact_reader_reads_is_accepted_as_before() -> None:
    # a lone surrogate escape and 1e400 in a field nobody reads: orjson refuses both
    raw = _with_literal("order.closed", "extension", '["\\ud800", 1e400]')

    assert _same(raw) == parse_event_dict(json.loads(raw, parse_float=Decimal))


_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.decimals(allow_nan=False)
    | st.text(max_size=6),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=4), children, max_size=3)
    ),
    max_leaves=10,
)


@given(
    st.sampled_from(["order.opened", "shipment.received", "adjustment.posted", "job.opened"]),
    st.sampled_from(["data", "event_id", "schema_version", "extra", "qty", "lines"]),
    _json,
    st.booleans(),
)
def test_any_json_value_in_a_field_gives_the_exact_outcome(
    event_type: str, field: str, value: object, ascii_only: bool
) -> None:
    document = example_of(event_type)
    data = document["data"]
    if field == "qty":
        next(v for v in data.values() if isinstance(v, list) and v)[0]["qty"] = value
    elif field == "lines":
        data[next(k for k, v in data.items() if isinstance(v, list))] = value
    else:
        document[field] = value
    raw = json.dumps(document, ensure_ascii=ascii_only, default=str).encode()

    _same(raw)


@given(st.binary(max_size=64), st.integers(min_value=0, max_value=400))
@example(b"\x00", 0)
@example(b"\\", 50)
@example(b'"', 120)
def test_bytes_spliced_into_a_valid_message_give_the_exact_outcome(noise: bytes, at: int) -> None:
    raw = encode(example_of("shipment.received"))
    at = min(at, len(raw))

    _same(raw[:at] + noise + raw[at:])


def test_a_plain_message_is_read_by_orjson(
    example: Example, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unexpected(raw: bytes) -> object:
        raise AssertionError("read by the exact reader")

    monkeypatch.setattr(parse_module, "_decode", unexpected)

    assert parse_event(encode(example("shipment.received"))).event_type == "shipment.received"


def test_remembered_amounts_are_the_ones_computed_afresh(example: Example) -> None:
    document = example("order.opened")
    line = document["data"]["lines"][0]
    spellings = ["2.50", "2.5", " 4 ", "1E+2", "100", "0.000001", 7, "000123.450000"]
    document["data"]["lines"] = [
        {**line, "line_id": str(n), "qty": qty} for n, qty in enumerate(spellings)
    ]
    quantities._SPELLINGS.clear()

    cold = parse_event(encode(document))
    warm = parse_event(encode(document))

    assert cold == warm
    assert cold.model_dump_json() == warm.model_dump_json()
    assert [str(x.qty) for x in warm.data.lines] == [  # type: ignore[union-attr]
        "2.5", "2.5", "4", "100", "100", "0.000001", "7", "123.45",
    ]  # fmt: skip


_ODD_TEXT = st.from_regex(r"\A\s*-?[0-9.eE+_]{0,12}\s*\Z", fullmatch=True)


@given(st.one_of(_NUMBER, _NUMBER.map(json.dumps), _ODD_TEXT.map(json.dumps)))
def test_any_spelling_validates_the_same_remembered_or_not(spelling: str) -> None:
    raw = _with_literal("purchase_order.opened", "data.lines.0.est_unit_cost", spelling)
    quantities._SPELLINGS.clear()

    cold = _same(raw)
    warm = _same(raw)

    assert cold == warm


@pytest.mark.parametrize(
    ("qty", "message"),
    [("0.0000001", "must have at most 6 decimal places"), ("0", "must be positive")],
)
def test_an_invalid_amount_is_refused_every_time(qty: str, message: str, example: Example) -> None:
    document = example("order.opened")
    document["data"]["lines"][0]["qty"] = qty

    for _ in range(2):
        with pytest.raises(ContractError) as caught:
            parse_event(encode(document))
        assert caught.value.message == f"data.lines[0].qty: {message}"


def test_the_memory_of_spellings_is_bounded(example: Example) -> None:
    document = example("order.opened")
    line = document["data"]["lines"][0]
    long_spelling = " " * 60 + "3"
    for start in range(0, quantities._SPELLINGS_MAX + 1000, 500):
        document["data"]["lines"] = [
            {**line, "line_id": str(n), "qty": f"{start + n}.5"} for n in range(500)
        ]
        parse_event(encode(document))
        assert len(quantities._SPELLINGS) <= quantities._SPELLINGS_MAX
    document["data"]["lines"] = [{**line, "qty": long_spelling}]

    assert parse_event(encode(document)).data.lines[0].qty == 3  # type: ignore[union-attr]
    assert long_spelling not in quantities._SPELLINGS


def _float_targets(model: type[BaseModel], document: dict[str, Any], path: str) -> list[str]:
    """Every field of ``model`` (and of its nested models present in ``document``)."""
    paths = []
    for name in model.model_fields:
        paths.append(f"{path}{name}")
        value = document.get(name)
        nested = _models(model.model_fields[name].annotation)
        if nested and isinstance(value, dict):
            paths += _float_targets(nested[0], value, f"{path}{name}.")
        elif nested and isinstance(value, list) and value:
            paths += _float_targets(nested[0], value[0], f"{path}{name}.0.")
    return paths


def _models(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models(arg)]


@pytest.mark.parametrize("event_type", sorted(INBOUND_EVENTS))
def test_no_field_the_contract_reads_takes_a_float_from_orjson(event_type: str) -> None:
    """Why orjson's floats can never change an accepted event (see parse.py's docstring)."""
    model = INBOUND_EVENTS[event_type]
    targets = _float_targets(model, example_of(event_type), "")
    assert len(targets) >= 5
    for target in targets:
        for number in (1.0, 2.5, 1.8446744073709552e19):
            document = example_of(event_type)
            *path, last = target.split(".")
            node: Any = document
            for part in path:
                node = node[int(part)] if part.isdigit() else node[part]
            node[last] = number
            with pytest.raises(ValidationError):
                model.model_validate(document, context=quantities.FROM_FLOAT_READER)


def test_no_contract_model_validates_amounts_strictly() -> None:
    """Remembered spellings hold for lax validation only (a strict one refuses ``"2.5"``)."""
    models = list(_all_models(ContractModel))
    assert len(models) > 30
    assert [m.__name__ for m in models if m.model_config.get("strict")] == []


def _all_models(cls: type[BaseModel]) -> list[type[BaseModel]]:
    return [cls, *(m for sub in cls.__subclasses__() for m in _all_models(sub))]
