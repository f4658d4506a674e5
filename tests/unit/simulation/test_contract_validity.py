"""Every valid record satisfies the contracts package; every malformed one is rejected."""

from __future__ import annotations

import re

import orjson
import pytest

from inventory_contracts import (
    INBOUND_EVENT_TYPES,
    ContractError,
    Topics,
    message_key,
    parse_event,
)
from inventory_ledger.simulation import SimulatedMessage
from tests.unit.simulation.support import envelope, goods_lines

pytestmark = pytest.mark.unit

_QTY = re.compile(r"^[1-9][0-9]*(\.[0-9]{1,6})?$|^0\.[0-9]{0,5}[1-9]$")


def test_every_valid_record_parses_with_its_contract_key_and_topic(
    valid: list[SimulatedMessage],
) -> None:
    topics = Topics()
    for message in valid:
        event = parse_event(orjson.dumps(message.value))
        assert message_key(event) == message.key
        assert message.topic == topics.for_event_type(event.event_type)


def test_every_quantity_is_a_positive_decimal_string_with_at_most_six_places(
    valid: list[SimulatedMessage],
) -> None:
    for message in valid:
        for line in goods_lines(envelope(message)["data"]):
            assert _QTY.match(line["qty"]), line


@pytest.mark.parametrize(
    "fault", ["not_json", "not_utf8", "schema", "unknown_event_type", "unsupported_schema_version"]
)
def test_each_kind_of_malformed_record_is_rejected_for_that_reason(
    stream: list[SimulatedMessage], fault: str
) -> None:
    malformed = [m for m in stream if m.fault == fault]
    assert malformed, f"no {fault} record in the stream"
    for message in malformed:
        assert isinstance(message.value, bytes)
        with pytest.raises(ContractError) as rejected:
            parse_event(message.value)
        assert rejected.value.reason == fault


def test_the_simulator_knows_every_inbound_event_type(valid: list[SimulatedMessage]) -> None:
    seen = {envelope(m)["event_type"] for m in valid}
    assert seen == set(INBOUND_EVENT_TYPES)
