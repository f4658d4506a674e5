"""Helpers for reading simulated envelopes in tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from inventory_ledger.simulation import SimulatedMessage

__all__ = ["envelope", "goods_lines"]


def envelope(message: SimulatedMessage) -> dict[str, Any]:
    assert isinstance(message.value, dict)
    return message.value


def goods_lines(data: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every line of a document that names an item (all line lists but a bill's)."""
    for field in ("lines", "outputs", "inputs", "consumed", "produced"):
        for line in data.get(field, ()):
            if "lic" in line:
                yield line
