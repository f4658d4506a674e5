"""Write, or check, the documents generated from the models.

``python -m inventory_contracts.generate`` rewrites ``schemas/*.json`` (one JSON Schema per
event type, plus the dead-letter record) under the contracts directory; ``--check`` writes
nothing and exits 1 listing every stale, missing or unexpected file. Output is deterministic:
sorted keys, two-space indent, one trailing newline. (``asyncapi.json`` beside them is generated
by the service from its FastStream application: ``inventory_ledger.adapters.kafka.asyncapi``.)
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final, Literal

from pydantic import BaseModel

from inventory_contracts.balance_changed import BalanceChanged
from inventory_contracts.dead_letter import DeadLetter
from inventory_contracts.envelope import SCHEMA_VERSION
from inventory_contracts.inbound import INBOUND_EVENTS

__all__ = ["CONTRACTS_DIR", "generated_documents", "main", "stale_documents"]

CONTRACTS_DIR: Final = Path(__file__).resolve().parent.parent
"""The ``contracts/`` directory of the source tree (the package is installed editable)."""
_DRAFT: Final = "https://json-schema.org/draft/2020-12/schema"


def _dump(document: Mapping[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _schema(
    name: str, model: type[BaseModel], mode: Literal["validation", "serialization"]
) -> dict[str, Any]:
    schema = model.model_json_schema(mode=mode)
    return {"$schema": _DRAFT, "$id": f"urn:inventory-contracts:{name}:v{SCHEMA_VERSION}", **schema}


def generated_documents() -> dict[str, str]:
    """Every generated file, by path relative to the contracts directory."""
    schemas: list[tuple[str, type[BaseModel], Literal["validation", "serialization"]]] = [
        (event_type, model, "validation") for event_type, model in INBOUND_EVENTS.items()
    ]
    schemas += [
        ("inventory.balance_changed", BalanceChanged, "serialization"),
        ("dead_letter", DeadLetter, "serialization"),
    ]
    documents = {
        f"schemas/{name}.v{SCHEMA_VERSION}.json": _dump(_schema(name, model, mode))
        for name, model, mode in schemas
    }
    return documents


def stale_documents(root: Path = CONTRACTS_DIR) -> list[str]:
    """Relative paths that differ from what the models generate (or should not exist)."""
    expected = generated_documents()
    stale = [
        path
        for path, text in expected.items()
        if not (root / path).is_file() or (root / path).read_text(encoding="utf-8") != text
    ]
    stale += [
        f"schemas/{path.name}"
        for path in sorted((root / "schemas").glob("*.json"))
        if f"schemas/{path.name}" not in expected
    ]
    return sorted(stale)


def _write(root: Path) -> list[str]:
    expected = generated_documents()
    changed = stale_documents(root)
    for path in changed:
        target = root / path
        if path in expected:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(expected[path], encoding="utf-8", newline="\n")
        else:
            target.unlink()
    return changed


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m inventory_contracts.generate")
    parser.add_argument("--check", action="store_true", help="only report stale files")
    parser.add_argument("--root", type=Path, default=CONTRACTS_DIR, help="contracts directory")
    args = parser.parse_args(argv)
    root: Path = args.root
    if args.check:
        stale = stale_documents(root)
        for path in stale:
            print(f"stale: {root / path}", file=sys.stderr)
        if stale:
            print("run: python -m inventory_contracts.generate", file=sys.stderr)
        return 1 if stale else 0
    for path in _write(root):
        print(f"wrote: {root / path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
