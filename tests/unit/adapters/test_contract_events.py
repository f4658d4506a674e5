"""Every contract event type translates into its domain event with every field carried over."""

from __future__ import annotations

import collections
import dataclasses
import enum
import typing
from decimal import Decimal
from typing import Any
from unittest.mock import patch

import pydantic
import pytest

from inventory_contracts import INBOUND_EVENT_TYPES, parse_event_dict
from inventory_contracts.examples import INBOUND_EXAMPLES
from inventory_ledger.adapters.contract_events import (
    DOMAIN_EVENT_TYPES,
    _slots_fill_exactly,
    _Writer,
    to_domain,
)
from inventory_ledger.domain import sharing
from inventory_ledger.domain.item import ItemKey
from inventory_ledger.simulation import SimulationConfig, generate

pytestmark = pytest.mark.unit


def _flatten(value: Any) -> Any:
    """A domain value as plain data, with ItemKey spread back into lic/location."""
    if isinstance(value, ItemKey):
        return {"lic": value.lic, "location": value.location}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {}
        for f in dataclasses.fields(value):
            v = _flatten(getattr(value, f.name))
            if f.name == "item":
                out.update(v)
            else:
                out[f.name] = v
        return out
    if isinstance(value, tuple):
        return [_flatten(v) for v in value]
    if hasattr(value, "value") and not isinstance(value, Decimal):
        return value.value
    return value


def _contract_plain(model: Any) -> Any:
    return model.model_dump(mode="python")


def test_every_contract_event_type_has_a_domain_event() -> None:
    assert set(DOMAIN_EVENT_TYPES) == set(INBOUND_EVENT_TYPES)


@pytest.mark.parametrize("event_type", sorted(INBOUND_EXAMPLES))
def test_example_translates_field_for_field(event_type: str) -> None:
    contract = parse_event_dict(dict(INBOUND_EXAMPLES[event_type]))
    domain = to_domain(contract)

    assert type(domain).event_type == event_type
    assert domain.event_id == contract.event_id
    assert domain.occurred_at == contract.occurred_at
    plain = _flatten(domain)
    expected = _contract_plain(contract.data)
    for name, value in expected.items():
        got = plain[name]
        if isinstance(value, list | tuple):
            assert len(got) == len(value), name
            for got_line, want_line in zip(got, value, strict=True):
                for key, want in want_line.items():
                    assert _norm(got_line[key]) == _norm(want), f"{name}.{key}"
        else:
            assert _norm(got) == _norm(value), name


def _norm(value: Any) -> Any:
    if value is None:
        return ()  # an absent optional list (serials) is the domain's empty tuple
    if hasattr(value, "value") and not isinstance(value, Decimal):
        return value.value
    if isinstance(value, list):
        return tuple(value)
    return value


def _by_constructors(cls: Any, model: Any, skip: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Keyword arguments of ``cls`` from ``model``, the plain way: every value via ``__init__``."""
    hints = typing.get_type_hints(cls)
    out: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.name in skip:
            continue
        if f.name == "item":
            out[f.name] = ItemKey(model.lic, model.location)
            continue
        value = getattr(model, f.name, None)
        hint = hints[f.name]
        element = next((a for a in typing.get_args(hint) if dataclasses.is_dataclass(a)), None)
        if element is not None:
            out[f.name] = tuple(element(**_by_constructors(element, x)) for x in value or ())
        elif typing.get_origin(hint) is tuple:
            out[f.name] = tuple(value or ())
        elif isinstance(value, enum.Enum):
            out[f.name] = next(a for a in typing.get_args(hint) or (hint,) if a is not None)(
                value.value
            )
        else:
            out[f.name] = value
    return out


def _expected(contract: Any) -> Any:
    cls = DOMAIN_EVENT_TYPES[contract.event_type]
    fields = _by_constructors(cls, contract.data, frozenset({"event_id", "occurred_at"}))
    return cls(event_id=contract.event_id, occurred_at=contract.occurred_at, **fields)


@pytest.mark.parametrize("event_type", sorted(INBOUND_EXAMPLES))
def test_example_equals_the_value_its_constructors_build(event_type: str) -> None:
    contract = parse_event_dict(dict(INBOUND_EXAMPLES[event_type]))

    domain = to_domain(contract)

    expected = _expected(contract)
    assert domain == expected
    assert repr(domain) == repr(expected)
    assert hash(domain.event_id) == hash(expected.event_id)


def test_every_simulated_event_equals_the_value_its_constructors_build() -> None:
    checked = collections.Counter[str]()
    for message in generate(SimulationConfig(events=3000, seed=11)):
        assert isinstance(message.value, dict)
        contract = parse_event_dict(dict(message.value))
        domain = to_domain(contract)
        expected = _expected(contract)
        assert domain == expected, contract.event_type
        assert repr(domain) == repr(expected)
        checked[contract.event_type] += 1
    assert set(checked) == set(INBOUND_EVENT_TYPES)


def test_translated_values_are_still_frozen_and_hashable() -> None:
    domain = to_domain(parse_event_dict(dict(INBOUND_EXAMPLES["shipment.shipped"])))
    line = domain.lines[0]  # type: ignore[union-attr]

    with pytest.raises(dataclasses.FrozenInstanceError):
        line.qty = Decimal(5)  # type: ignore[misc]
    assert hash(line.item) == hash(ItemKey(line.item.lic, line.item.location))
    assert {line.item: 1}[ItemKey(line.item.lic, line.item.location)] == 1


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class _Plain:
    a: str
    b: int = 0


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class _Checked:
    a: str

    def __post_init__(self) -> None:
        if not self.a:
            raise ValueError("a must not be empty")


@dataclasses.dataclass(frozen=True, kw_only=True)
class _NoSlots:
    a: str


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class _Derived:
    a: str
    b: int = dataclasses.field(init=False, default=0)


@pytest.mark.parametrize(
    ("cls", "fills"), [(_Plain, True), (_Checked, False), (_NoSlots, False), (_Derived, False)]
)
def test_slots_are_filled_directly_only_when_that_is_what_init_does(cls: Any, fills: bool) -> None:
    assert _slots_fill_exactly(cls) is fills


def test_every_domain_class_is_built_through_its_slots() -> None:
    """The translated classes are plain slotted dataclasses (else: still correct, just slower)."""
    events = set(DOMAIN_EVENT_TYPES.values())
    lines = {
        arg
        for cls in events
        for hint in typing.get_type_hints(cls).values()
        for arg in typing.get_args(hint)
        if dataclasses.is_dataclass(arg)
    }
    assert len(lines) >= 10
    assert [c.__name__ for c in {ItemKey, *events, *lines} if not _slots_fill_exactly(c)] == []


class _AModel(pydantic.BaseModel):
    a: str


def test_a_class_with_post_init_is_built_through_init() -> None:
    writer = _Writer()
    name = writer.function(_Checked, _AModel)
    build = writer.compile()[name]

    assert build(_AModel(a="x")) == _Checked(a="x")
    with pytest.raises(ValueError, match="a must not be empty"):
        build(_AModel(a=""))


@patch.object(sharing, "_ITEMS", {})  # fresh tables: other tests may have filled them
@patch.object(sharing, "_DECIMALS", {})
def test_events_share_their_item_keys_line_ids_and_quantities() -> None:
    """The books keep every lot and usage: repeated values come out as one instance."""
    receipts = [
        to_domain(
            parse_event_dict(
                {
                    "event_id": f"00000000-0000-4000-8000-00000000010{n}",
                    "event_type": "shipment.received",
                    "schema_version": 1,
                    "occurred_at": "2026-01-05T08:00:00+00:00",
                    "data": {
                        "shipment_id": f"RCV-{n}",
                        "lines": [
                            {
                                "line_id": "1",
                                "lic": "SKU-1",
                                "location": "main",
                                "qty": "2.50",
                                "unit_cost": "4",
                            }
                        ],
                    },
                }
            )
        )
        for n in range(2)
    ]
    first, second = (r.lines[0] for r in receipts)  # type: ignore[union-attr]
    assert first.item is second.item
    assert first.line_id is second.line_id
    assert first.qty is second.qty
    assert first.qty == Decimal("2.5")
