"""The outbound contracts: inventory.balance_changed and the dead-letter record."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from inventory_contracts import ContractError, Reason, parse_event
from inventory_contracts.balance_changed import BalanceChanged
from inventory_contracts.dead_letter import DeadLetter
from inventory_contracts.examples import BALANCE_CHANGED_EXAMPLE, DEAD_LETTER_EXAMPLE

pytestmark = pytest.mark.unit


def _balance(**data: Any) -> dict[str, Any]:
    document = copy.deepcopy(dict(BALANCE_CHANGED_EXAMPLE))
    document["data"].update(data)
    return document


def test_balance_changed_is_keyed_by_location_and_lic() -> None:
    assert BalanceChanged.model_validate(_balance(location="east")).key == "east/WIDGET-1"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"available": "5"}, "available"),
        ({"projected": "8"}, "projected"),
        ({"version": 0}, "version"),
        ({"version": "42"}, "version"),
        ({"caused_by": []}, "caused_by"),
        ({"on_hand": "1.0000001"}, "on_hand"),
    ],
)
def test_balance_changed_rejects_inconsistent_data(data: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        BalanceChanged.model_validate(_balance(**data))

    assert field in str(caught.value)


def test_balance_changed_is_not_an_inbound_event() -> None:
    with pytest.raises(ContractError) as caught:
        parse_event(BalanceChanged.model_validate(_balance()).model_dump_json().encode())

    assert caught.value.reason is Reason.UNKNOWN_EVENT_TYPE


def test_balance_changed_serializes_every_bucket_as_a_string() -> None:
    dumped = BalanceChanged.model_validate(_balance()).model_dump(mode="json")["data"]

    for bucket in ("on_hand", "on_order", "demand", "available", "projected"):
        assert isinstance(dumped[bucket], str)
    assert dumped["delta"] == {"on_hand": "-3", "on_order": "0", "demand": "3"}


@given(value=st.binary(max_size=512), key=st.none() | st.binary(max_size=64))
def test_dead_letter_keeps_any_bytes_exactly(value: bytes, key: bytes | None) -> None:
    record = DeadLetter.model_validate({**DEAD_LETTER_EXAMPLE, "value": value, "key": key})

    again = DeadLetter.model_validate_json(record.model_dump_json())

    assert (again.value, again.key) == (value, key)


@pytest.mark.parametrize(
    "changes",
    [
        {"value": "not base64!"},
        {"value": 12},
        {"reason": "Not A Code"},
        {"source_offset": -1},
        {"rejected_at": "2026-11-20T10:15:02"},
    ],
)
def test_dead_letter_rejects_malformed_records(changes: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        DeadLetter.model_validate({**DEAD_LETTER_EXAMPLE, **changes})


@pytest.mark.parametrize("reason", [*Reason, "serial_not_in_stock"])
def test_dead_letter_reason_is_a_contract_reason_or_a_business_rule_code(reason: str) -> None:
    record = DeadLetter.model_validate({**DEAD_LETTER_EXAMPLE, "reason": reason})

    assert record.reason == reason
