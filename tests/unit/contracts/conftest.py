"""Fixtures of the contract tests."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from tests.unit.contracts.support import Example

from inventory_contracts.examples import INBOUND_EXAMPLES


@pytest.fixture
def example() -> Example:
    """``example("order.opened")`` is a deep copy of that event type's valid example."""

    def make(event_type: str) -> dict[str, Any]:
        return copy.deepcopy(dict(INBOUND_EXAMPLES[event_type]))

    return make
