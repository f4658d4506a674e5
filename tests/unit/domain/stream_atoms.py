"""Building blocks of random streams: items, quantities, plans of document lines, a clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import count
from typing import TypedDict

from hypothesis import strategies as st

from inventory_ledger.domain import ItemKey
from inventory_ledger.domain.events import (
    Event,
)

__all__ = [
    "ITEMS",
    "QTYS",
    "Chain",
    "Clock",
    "Draw",
    "Plan",
    "Stamp",
    "changed_plan",
    "goods",
    "items",
    "lotted",
    "named_line",
    "plan_lines",
    "qtys",
    "terminal",
]

Chain = tuple[Event, ...]
Draw = st.DrawFn

ITEMS = (ItemKey("A"), ItemKey("B"), ItemKey("C"), ItemKey("A", "east"))
T0 = datetime(2026, 11, 1, tzinfo=UTC)

QTYS = [Decimal(n) for n in range(1, 13)] + [Decimal("0.5"), Decimal("2.25"), Decimal("0.001")]
items = st.sampled_from(ITEMS)
qtys = st.sampled_from(QTYS)
goods = st.sampled_from([(it, q) for it in ITEMS for q in QTYS])
"""(item, qty) in one draw: cheaper generation, same shrinking towards the first choices."""
lotted = st.sampled_from([(q, lot) for lot in (None, "LOT-1", None, "LOT-2") for q in QTYS])
"""(qty, mfr_lot) in one draw."""
Plan = list[tuple[str, ItemKey, Decimal]]


class Stamp(TypedDict):
    """The envelope fields of one generated event."""

    event_id: str
    occurred_at: datetime


class Clock:
    """Unique event ids and increasing business times within one stream."""

    def __init__(self) -> None:
        self._n = count(1)

    def stamp(self, prefix: str) -> Stamp:
        n = next(self._n)
        return {"event_id": f"{prefix}#{n}", "occurred_at": T0 + timedelta(minutes=n)}


def plan_lines(draw: Draw, first_line: int = 1) -> Plan:
    size = draw(st.integers(1, 3))
    return [(str(first_line + i), *draw(goods)) for i in range(size)]


def changed_plan(draw: Draw, plan: Plan) -> Plan:
    """A new full state: lines kept (maybe re-quantified or re-itemed), dropped, or added."""
    new: Plan = []
    for line_id, item, qty in plan:
        fate = draw(st.sampled_from(["keep", "qty", "item", "drop"]))
        if fate != "drop":
            new.append(
                (
                    line_id,
                    draw(items) if fate == "item" else item,
                    draw(qtys) if fate == "qty" else qty,
                )
            )
    if draw(st.booleans()):
        new.append((str(len(plan) + 1), draw(items), draw(qtys)))
    return new


def named_line(draw: Draw, plan: Plan) -> tuple[str | None, ItemKey]:
    """A line id to fulfil (a real one, none, or one the document lacks) and the goods' item."""
    choices: list[tuple[str | None, ItemKey]] = []
    for line_id, item, _ in plan:
        choices += [(line_id, item)] * 3 + [(None, item), ("99", item)]
        choices += [(line_id, other) for other in ITEMS if other != item][:1]
    return draw(st.sampled_from(choices))


def terminal(draw: Draw) -> str | None:
    return draw(st.sampled_from([None, None, "cancelled", "closed"]))
