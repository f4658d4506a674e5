"""The committed JSON Schemas are exactly what the models generate.

(The AsyncAPI document is generated from the service's FastStream app: tests/unit/adapters/
test_asyncapi.py.)
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import pytest

from inventory_contracts import INBOUND_EVENT_TYPES, ContractError, parse_event_dict
from inventory_contracts.examples import (
    BALANCE_CHANGED_EXAMPLE,
    DEAD_LETTER_EXAMPLE,
    INBOUND_EXAMPLES,
)
from inventory_contracts.generate import CONTRACTS_DIR, generated_documents, main, stale_documents
from tests.unit.contracts import test_adjustments

pytestmark = pytest.mark.unit

_documents = functools.cache(generated_documents)

_REGENERATE = "committed contract documents are stale: run `python -m inventory_contracts.generate`"


def test_committed_documents_match_the_models() -> None:
    assert stale_documents(CONTRACTS_DIR) == [], _REGENERATE


def test_generation_is_deterministic() -> None:
    assert generated_documents() == _documents()
    for text in _documents().values():
        assert text.endswith("}\n")
        assert (
            json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
            == text
        )


def test_one_schema_per_event_type() -> None:
    names = {path for path in _documents() if path.startswith("schemas/")}

    assert names == {
        *(f"schemas/{event_type}.v1.json" for event_type in INBOUND_EVENT_TYPES),
        "schemas/inventory.balance_changed.v1.json",
        "schemas/dead_letter.v1.json",
    }


def test_check_fails_when_a_document_is_stale(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--root", str(tmp_path)]) == 0
    assert main(["--check", "--root", str(tmp_path)]) == 0
    schema = tmp_path / "schemas" / "order.opened.v1.json"
    edited = json.loads(schema.read_text())
    del edited["$defs"]["OrderLine"]["properties"]["qty"]  # as if a field changed in code only
    schema.write_text(json.dumps(edited))
    (tmp_path / "schemas" / "order.shipped.v1.json").write_text("{}")
    capsys.readouterr()

    assert main(["--check", "--root", str(tmp_path)]) == 1

    err = capsys.readouterr().err
    assert "order.opened.v1.json" in err
    assert "order.shipped.v1.json" in err
    assert main(["--root", str(tmp_path)]) == 0
    assert stale_documents(tmp_path) == []


def _walk(node: Any, path: str = "") -> list[tuple[str, dict[str, Any]]]:
    """Every (path, schema) that has ``properties``."""
    found: list[tuple[str, dict[str, Any]]] = []
    if isinstance(node, dict):
        if isinstance(node.get("properties"), dict) and node.get("type") == "object":
            found.append((path, node))
        for key, value in node.items():
            found += _walk(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _walk(value, f"{path}/{index}")
    return found


@pytest.mark.parametrize("document", sorted(_documents()))
def test_every_field_and_model_is_described(document: str) -> None:
    tree = json.loads(_documents()[document])
    objects = _walk(tree)

    assert objects
    for path, schema in objects:
        assert schema.get("description"), f"{document}{path} has no description"
        for name, field in schema["properties"].items():
            assert field.get("description"), f"{document}{path}.{name} has no description"


def test_schemas_validate_the_examples_when_jsonschema_is_installed() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    documents = _documents()
    examples = {
        **INBOUND_EXAMPLES,
        "inventory.balance_changed": BALANCE_CHANGED_EXAMPLE,
        "dead_letter": DEAD_LETTER_EXAMPLE,
    }
    for name, example in examples.items():
        schema = json.loads(documents[f"schemas/{name}.v1.json"])
        jsonschema.Draft202012Validator(schema).validate(json.loads(json.dumps(dict(example))))


def test_published_adjustment_rules_agree_with_the_parser_when_jsonschema_is_installed() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(_documents()["schemas/adjustment.posted.v1.json"])
    validator = jsonschema.Draft202012Validator(schema)
    valid = test_adjustments.test_valid_adjustment_shapes.pytestmark[0].args[1]
    invalid = test_adjustments.test_invalid_adjustment_shapes.pytestmark[0].args[1]
    not_expressible = "must be given on all produced lines or none"
    for case in [*valid, *invalid]:
        document = json.loads(json.dumps(test_adjustments._adjustment(*case[:3])))
        message = _rejection(document)
        if message is None:
            assert validator.is_valid(document)
        elif not_expressible not in message:
            assert not validator.is_valid(document), message


def _rejection(document: object) -> str | None:
    try:
        parse_event_dict(document)
    except ContractError as error:
        return error.message
    return None
