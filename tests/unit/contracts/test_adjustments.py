"""adjustment.posted: the kind fixes which lines exist and which carry costs."""

from __future__ import annotations

from typing import Any

import pytest

from inventory_contracts import AdjustmentKind, AdjustmentPosted
from tests.unit.contracts.support import accepted, example_of, rejected

pytestmark = pytest.mark.unit


def _line(line_id: str, qty: str = "1", **extra: Any) -> dict[str, Any]:
    return {"line_id": line_id, "lic": "WIDGET-1", "location": "main", "qty": qty, **extra}


def _adjustment(
    kind: str, consumed: list[dict[str, Any]], produced: list[dict[str, Any]]
) -> dict[str, Any]:
    document = example_of("adjustment.posted")
    document["data"] = {
        "adjustment_id": "ADJ-1",
        "kind": kind,
        "consumed": consumed,
        "produced": produced,
    }
    return document


_PRICED = [_line("p1", unit_cost="2"), _line("p2", unit_cost="0")]
_UNPRICED = [_line("p1"), _line("p2")]
_CONSUMED = [_line("c1"), _line("c2")]


@pytest.mark.parametrize(
    ("kind", "consumed", "produced"),
    [
        ("increase", [], _PRICED),
        ("beginning_balance", [], _PRICED[:1]),
        ("decrease", _CONSUMED, []),
        ("assembly", _CONSUMED, _UNPRICED[:1]),
        ("division", _CONSUMED[:1], _UNPRICED),
        ("division", _CONSUMED[:1], [_line("p1", cost_share="3"), _line("p2", cost_share="1")]),
    ],
)
def test_valid_adjustment_shapes(
    kind: str, consumed: list[dict[str, Any]], produced: list[dict[str, Any]]
) -> None:
    event = accepted(_adjustment(kind, consumed, produced))

    assert isinstance(event, AdjustmentPosted)
    assert event.data.kind is AdjustmentKind(kind)


@pytest.mark.parametrize(
    ("kind", "consumed", "produced", "message"),
    [
        ("increase", _CONSUMED, _PRICED, "data.consumed: must be empty for kind 'increase'"),
        ("increase", [], [], "data.produced: must have at least 1 line(s) for kind 'increase'"),
        (
            "beginning_balance",
            [],
            _UNPRICED,
            "data.produced[0].unit_cost: is required for beginning_balance",
        ),
        ("decrease", [], [], "data.consumed: must have at least 1 line(s) for kind 'decrease'"),
        ("decrease", _CONSUMED, _PRICED, "data.produced: must be empty for kind 'decrease'"),
        (
            "assembly",
            [],
            _UNPRICED[:1],
            "data.consumed: must have at least 1 line(s) for kind 'assembly'",
        ),
        (
            "assembly",
            _CONSUMED,
            _UNPRICED,
            "data.produced: must have exactly 1 line(s) for kind 'assembly'",
        ),
        (
            "assembly",
            _CONSUMED,
            [],
            "data.produced: must have exactly 1 line(s) for kind 'assembly'",
        ),
        (
            "division",
            _CONSUMED,
            _UNPRICED,
            "data.consumed: must have exactly 1 line(s) for kind 'division'",
        ),
        (
            "division",
            _CONSUMED[:1],
            [],
            "data.produced: must have at least 1 line(s) for kind 'division'",
        ),
        (
            "assembly",
            _CONSUMED,
            _PRICED[:1],
            "data.produced[0].unit_cost: must be absent for assembly: the cost comes from "
            "consumed goods",
        ),
        (
            "division",
            _CONSUMED[:1],
            [_line("p1", cost_share="1"), _line("p2")],
            "data.produced[1].cost_share: must be given on all produced lines or none",
        ),
        (
            "division",
            _CONSUMED[:1],
            [_line("p1", cost_share="0")],
            "data.produced[0].cost_share: must be positive",
        ),
        (
            "increase",
            [],
            [_line("p1", unit_cost="1", cost_share="1")],
            "data.produced[0].cost_share: is only for division",
        ),
        (
            "transmute",
            [],
            _PRICED,
            "data.kind: must be one of 'increase', 'decrease', "
            "'beginning_balance', 'assembly' or 'division'",
        ),
    ],
)
def test_invalid_adjustment_shapes(
    kind: str,
    consumed: list[dict[str, Any]],
    produced: list[dict[str, Any]],
    message: str,
) -> None:
    assert rejected(_adjustment(kind, consumed, produced)) == message
