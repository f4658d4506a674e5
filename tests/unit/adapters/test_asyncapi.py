"""The checked-in AsyncAPI document is what FastStream generates from the service's own broker,
and it names every topic, direction and contract field of contracts.md."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from faststream.specification.asyncapi.v3_0_0.schema import ApplicationSchema

from inventory_contracts import INBOUND_EVENT_TYPES
from inventory_ledger.adapters.kafka.asyncapi import (
    DOCUMENT,
    asyncapi_document,
    asyncapi_text,
    default_settings,
    main,
)

pytestmark = pytest.mark.unit

INBOUND = {"purchasing.v1", "sales.v1", "shipping.v1", "jobs.v1", "adjustments.v1"}
OUTBOUND = {"inventory.balance-changed.v1", "inventory.dead-letter.v1"}
ENVELOPE = {"event_id", "event_type", "schema_version", "occurred_at", "data"}
BALANCE_FIELDS = {
    "lic", "location", "version", "on_hand", "on_order", "demand", "available", "projected",
    "delta", "caused_by",
}  # fmt: skip
DEAD_LETTER_FIELDS = {
    "reason", "message", "source_topic", "source_partition", "source_offset", "key", "value",
    "headers", "event_id", "event_type", "rejected_at",
}  # fmt: skip
STALE = "contracts/asyncapi.json is stale: run `make contracts`"


@pytest.fixture(scope="module")
def tree() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(DOCUMENT.read_text(encoding="utf-8"))
    return document


def test_the_checked_in_document_is_what_the_app_generates() -> None:
    assert DOCUMENT.read_text(encoding="utf-8") == asyncapi_text(), STALE


def test_check_fails_on_a_stale_document_and_writing_fixes_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "asyncapi.json"
    assert main(["--check", "--out", str(out)]) == 1, "missing"
    assert main(["--out", str(out)]) == 0
    assert main(["--check", "--out", str(out)]) == 0
    edited = json.loads(out.read_text())
    del edited["channels"]["dead_letter"]  # as if a topic were declared in code only
    out.write_text(json.dumps(edited, indent=2, sort_keys=True) + "\n")
    capsys.readouterr()

    assert main(["--check", "--out", str(out)]) == 1
    assert str(out) in capsys.readouterr().err
    assert main(["--out", str(out)]) == 0
    assert out.read_text() == asyncapi_text()


def test_the_environment_does_not_leak_into_the_document(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INVENTORY_TOPIC_SALES", "acme.sales.v1")
    monkeypatch.setenv("INVENTORY_KAFKA_BOOTSTRAP_SERVERS", "kafka.internal:9093")
    assert asyncapi_text() == DOCUMENT.read_text(encoding="utf-8")


def test_it_describes_the_broker_the_service_runs() -> None:
    renamed = default_settings().model_copy(update={"topic_sales": "acme.sales.v1"})
    addresses = {c["address"] for c in asyncapi_document(renamed)["channels"].values()}
    assert "acme.sales.v1" in addresses
    assert "sales.v1" not in addresses


def test_it_names_the_five_inbound_and_two_outbound_topics(tree: dict[str, Any]) -> None:
    addresses = {channel["address"] for channel in tree["channels"].values()}
    assert addresses == INBOUND | OUTBOUND
    directions = {
        _resolve(tree, op["channel"]["$ref"])["address"]: op["action"]
        for op in tree["operations"].values()
    }
    assert directions == dict.fromkeys(INBOUND, "receive") | dict.fromkeys(OUTBOUND, "send")
    for channel in tree["channels"].values():
        assert channel["description"]
        assert channel["bindings"]["kafka"]["topic"] == channel["address"]


def test_every_inbound_topic_carries_the_contract_union(tree: dict[str, Any]) -> None:
    for channel in _channels(tree, INBOUND):
        union = _payload(tree, channel)
        assert union["discriminator"] == "event_type"
        event_types = set()
        for ref in union["oneOf"]:
            event = _resolve(tree, ref["$ref"])
            assert set(event["properties"]) >= ENVELOPE, event["title"]
            assert set(event["required"]) >= ENVELOPE, event["title"]
            event_types.add(event["properties"]["event_type"]["const"])
        assert event_types == set(INBOUND_EVENT_TYPES)


def test_outbound_topics_carry_the_contract_fields(tree: dict[str, Any]) -> None:
    (balance,) = _channels(tree, {"inventory.balance-changed.v1"})
    envelope = _payload(tree, balance)
    assert set(envelope["properties"]) >= ENVELOPE
    assert envelope["properties"]["event_type"]["const"] == "inventory.balance_changed"
    data = _resolve(tree, envelope["properties"]["data"]["$ref"])
    assert set(data["properties"]) >= BALANCE_FIELDS
    delta = _resolve(tree, data["properties"]["delta"]["$ref"])
    assert set(delta["properties"]) == {"on_hand", "on_order", "demand"}
    (dead_letter,) = _channels(tree, {"inventory.dead-letter.v1"})
    assert set(_payload(tree, dead_letter)["properties"]) >= DEAD_LETTER_FIELDS


def test_every_reference_resolves_and_faststream_reads_the_document(tree: dict[str, Any]) -> None:
    assert tree["asyncapi"] == "3.0.0"
    for ref in _refs(tree):
        assert _resolve(tree, ref) is not None, ref
    ApplicationSchema.model_validate_json(DOCUMENT.read_text(encoding="utf-8"))


def test_every_model_and_field_is_described(tree: dict[str, Any]) -> None:
    for name, schema in tree["components"]["schemas"].items():
        if "properties" not in schema:
            continue
        assert schema.get("description"), name
        for field, spec in schema["properties"].items():
            assert spec.get("description"), f"{name}.{field}"


def test_the_faststream_cli_generates_the_same_document(tmp_path: Path) -> None:
    out = tmp_path / "cli.json"
    app = "inventory_ledger.adapters.kafka.asyncapi:app"
    subprocess.run(
        [sys.executable, "-m", "faststream", "docs", "gen", app, "--out", str(out)],
        check=True,
        cwd=tmp_path,
        capture_output=True,
        timeout=120,
    )
    assert json.loads(out.read_text()) == json.loads(DOCUMENT.read_text(encoding="utf-8"))


def _channels(tree: dict[str, Any], addresses: set[str]) -> list[dict[str, Any]]:
    return [c for c in tree["channels"].values() if c["address"] in addresses]


def _payload(tree: dict[str, Any], channel: dict[str, Any]) -> dict[str, Any]:
    (message_ref,) = channel["messages"].values()
    message = _resolve(tree, message_ref["$ref"])
    payload: dict[str, Any] = _resolve(tree, message["payload"]["$ref"])
    return payload


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


def _resolve(tree: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = tree
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node
