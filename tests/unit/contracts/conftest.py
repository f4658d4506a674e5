"""Fixtures of the contract tests."""

from __future__ import annotations

import pytest

from tests.unit.contracts.support import Example, example_of


@pytest.fixture
def example() -> Example:
    """``example("order.opened")`` is a deep copy of that event type's valid example."""
    return example_of
