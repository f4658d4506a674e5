"""Every contract event type translates into its domain event with every field carried over."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

import pytest

from inventory_contracts import INBOUND_EVENT_TYPES, parse_event_dict
from inventory_contracts.examples import INBOUND_EXAMPLES
from inventory_ledger.adapters.contract_events import DOMAIN_EVENT_TYPES, to_domain
from inventory_ledger.domain.item import ItemKey

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
