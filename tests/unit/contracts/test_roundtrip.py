"""Every event type survives model → JSON → model, and the documented examples are valid."""

from __future__ import annotations

import json

import pytest

from inventory_contracts import (
    INBOUND_EVENT_TYPES,
    INBOUND_EVENTS,
    parse_event,
    parse_event_dict,
)
from inventory_contracts.balance_changed import BalanceChanged
from inventory_contracts.dead_letter import DeadLetter
from inventory_contracts.examples import BALANCE_CHANGED_EXAMPLE, DEAD_LETTER_EXAMPLE
from inventory_contracts.inbound import INBOUND_ADAPTER
from tests.unit.contracts.support import Example, encode

pytestmark = pytest.mark.unit

CONTRACT_EVENT_TYPES = (
    "purchase_order.opened",
    "purchase_order.changed",
    "purchase_order.cancelled",
    "purchase_order.closed",
    "purchase.opened",
    "order.opened",
    "order.changed",
    "order.cancelled",
    "order.closed",
    "shipment.received",
    "shipment.shipped",
    "shipment.returned",
    "job.opened",
    "job.materials_consumed",
    "job.output_completed",
    "job.closed",
    "adjustment.posted",
)


def test_every_inbound_event_type_of_contracts_md_has_a_model() -> None:
    assert INBOUND_EVENT_TYPES == CONTRACT_EVENT_TYPES


@pytest.mark.parametrize("event_type", CONTRACT_EVENT_TYPES)
def test_example_parses_to_its_model(event_type: str, example: Example) -> None:
    event = parse_event(encode(example(event_type)))

    assert type(event) is INBOUND_EVENTS[event_type]
    assert event.event_type == event_type


@pytest.mark.parametrize("event_type", CONTRACT_EVENT_TYPES)
def test_model_json_model_round_trip(event_type: str, example: Example) -> None:
    event = parse_event(encode(example(event_type)))

    wire = event.model_dump_json().encode()

    assert parse_event(wire) == event
    assert type(event).model_validate_json(wire) == event
    assert INBOUND_ADAPTER.validate_json(wire) == event


@pytest.mark.parametrize("event_type", CONTRACT_EVENT_TYPES)
def test_decimals_are_json_strings_on_the_way_out(event_type: str, example: Example) -> None:
    dumped = json.loads(parse_event(encode(example(event_type))).model_dump_json())

    def numbers(value: object) -> list[object]:
        if isinstance(value, dict):
            return [n for item in value.values() for n in numbers(item)]
        if isinstance(value, list):
            return [n for item in value for n in numbers(item)]
        return [value] if isinstance(value, float | int) and not isinstance(value, bool) else []

    assert numbers(dumped) == [1]  # only schema_version is a JSON number


def test_python_constructed_event_equals_parsed_one(example: Example) -> None:
    parsed = parse_event_dict(example("order.cancelled"))
    built = INBOUND_EVENTS["order.cancelled"].model_validate(
        {
            "event_id": parsed.event_id,
            "occurred_at": parsed.occurred_at,
            "data": {"order_id": "SO-502"},
        }
    )

    assert built == parsed  # event_type and schema_version default to the model's own


def test_balance_changed_round_trip() -> None:
    event = BalanceChanged.model_validate(BALANCE_CHANGED_EXAMPLE)

    again = BalanceChanged.model_validate_json(event.model_dump_json())

    assert again == event
    assert json.loads(event.model_dump_json())["data"]["demand"] == "-3"


def test_dead_letter_round_trip() -> None:
    record = DeadLetter.model_validate(DEAD_LETTER_EXAMPLE)

    again = DeadLetter.model_validate_json(record.model_dump_json())

    assert again == record
    assert record.value == b"not json"
    assert json.loads(record.model_dump_json())["value"] == DEAD_LETTER_EXAMPLE["value"]


def test_models_are_frozen(example: Example) -> None:
    event = parse_event_dict(example("order.closed"))

    with pytest.raises(ValueError, match="frozen"):
        event.event_id = "other"  # type: ignore[misc]
