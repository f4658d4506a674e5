"""Topic map and message keys (contracts.md, "Topics")."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from inventory_contracts import (
    EVENT_KEY_FIELDS,
    EVENT_SOURCES,
    INBOUND_EVENT_TYPES,
    INBOUND_EVENTS,
    Source,
    Topics,
    balance_key,
    message_key,
    parse_event_dict,
)
from tests.unit.contracts.support import Example

pytestmark = pytest.mark.unit


def test_defaults_are_the_contract_topics() -> None:
    topics = Topics()

    assert topics.inbound == (
        "purchasing.v1",
        "sales.v1",
        "shipping.v1",
        "jobs.v1",
        "adjustments.v1",
    )
    assert topics.balance_changed == "inventory.balance-changed.v1"
    assert topics.dead_letter == "inventory.dead-letter.v1"


def test_any_topic_can_be_overridden_by_configuration() -> None:
    topics = Topics.model_validate({"sales": "acme.sales.v1", "dead_letter": "acme.dlq"})

    assert topics.for_event_type("order.opened") == "acme.sales.v1"
    assert topics.dead_letter == "acme.dlq"
    assert topics.for_event_type("job.closed") == "jobs.v1"


@pytest.mark.parametrize("name", ["", "has space", "x" * 250, "ünïcode"])
def test_invalid_topic_names_are_rejected(name: str) -> None:
    with pytest.raises(ValidationError):
        Topics(sales=name)


def test_every_inbound_event_type_has_one_source_and_a_key_field() -> None:
    assert set(EVENT_SOURCES) == set(INBOUND_EVENT_TYPES) == set(EVENT_KEY_FIELDS)
    for event_type, field in EVENT_KEY_FIELDS.items():
        data_model = INBOUND_EVENTS[event_type].model_fields["data"].annotation
        assert data_model is not None
        assert field in data_model.model_fields


@pytest.mark.parametrize(
    ("event_type", "source"),
    [
        ("purchase_order.opened", Source.PURCHASING),
        ("purchase.opened", Source.PURCHASING),
        ("order.changed", Source.SALES),
        ("shipment.returned", Source.SHIPPING),
        ("job.materials_consumed", Source.JOBS),
        ("adjustment.posted", Source.ADJUSTMENTS),
    ],
)
def test_event_types_map_to_their_topic(event_type: str, source: Source) -> None:
    assert EVENT_SOURCES[event_type] is source
    assert Topics().for_event_type(event_type) == f"{source.value}.v1"


@pytest.mark.parametrize(
    ("event_type", "key"),
    [
        ("purchase_order.opened", "PO-1001"),
        ("purchase_order.cancelled", "PO-1002"),
        ("purchase.opened", "BILL-77"),
        ("order.opened", "SO-501"),
        ("shipment.received", "RCV-9"),
        ("job.closed", "JOB-12"),
        ("adjustment.posted", "ADJ-3"),
    ],
)
def test_message_key_is_the_source_document_id(event_type: str, key: str, example: Example) -> None:
    assert message_key(parse_event_dict(example(event_type))) == key


def test_unknown_event_type_has_no_topic() -> None:
    with pytest.raises(KeyError):
        Topics().for_event_type("inventory.balance_changed")


def test_balance_key_is_location_slash_lic() -> None:
    assert balance_key("main", "WIDGET-1") == "main/WIDGET-1"
