"""Helpers shared by the contract tests."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from inventory_contracts import ContractError, InboundEvent, Reason, parse_event
from inventory_contracts.examples import INBOUND_EXAMPLES

Example = Callable[[str], dict[str, Any]]
"""``example("order.opened")``: a fresh deep copy of that event type's valid example."""


def example_of(event_type: str) -> dict[str, Any]:
    """A deep, mutable copy of the documented valid example of ``event_type``."""
    return copy.deepcopy(dict(INBOUND_EXAMPLES[event_type]))


def encode(document: object) -> bytes:
    """JSON bytes of a decoded document, as a producer would send them."""
    return json.dumps(document).encode()


def accepted(document: object) -> InboundEvent:
    """Parse ``document`` through the wire path (bytes)."""
    return parse_event(encode(document))


def rejected(document: object, reason: Reason = Reason.SCHEMA) -> str:
    """Assert ``document`` is rejected for ``reason``; return the human message."""
    with pytest.raises(ContractError) as caught:
        parse_event(document if isinstance(document, bytes) else encode(document))
    assert caught.value.reason is reason, caught.value.message
    return caught.value.message
