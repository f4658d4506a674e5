"""Order independence and invariants 1, 3, 4 of the cost books, on random streams.

* any two arrival orders of the same events give identical books (lots, usages, steps,
  allocation and give-back rows, unit costs, COGS and the COGS journal's sums);
* invariants 1, 3, 4 hold after every event (invariant 1 against the quantity side's own
  ``on_hand`` transactions from ``replay``);
* re-allocating an item from any moment equals allocating it from scratch;
* a serial stream replayed in any order that keeps each serial's moves in causal order
  gives identical books.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inventory_ledger.domain import replay
from inventory_ledger.domain.allocation import CostingMethod, Step
from inventory_ledger.domain.cost_books import CostBooks, apply_cost, replay_costs
from inventory_ledger.domain.cost_reconcile import reconcile_costs
from inventory_ledger.domain.errors import DomainError
from inventory_ledger.domain.events import (
    Event,
    ShipmentReceived,
    ShipmentReturned,
    ShipmentShipped,
)
from inventory_ledger.domain.reallocation import allocate

from .streams import methods, serial_stories, streams
from .support import item

pytestmark = pytest.mark.unit


def _books(events: list[Event], chosen: dict[str, CostingMethod]) -> CostBooks:
    return replay_costs(events, methods={item(k): m for k, m in chosen.items()})


@settings(max_examples=500, deadline=None)
@given(st.data(), methods)
def test_every_arrival_order_gives_the_same_books(
    data: st.DataObject, chosen: dict[str, CostingMethod]
) -> None:
    events = data.draw(streams())
    shuffled = data.draw(st.permutations(events))
    assert _books(events, chosen) == _books(list(shuffled), chosen)


@settings(max_examples=300, deadline=None)
@given(st.data(), methods)
def test_invariants_hold_after_every_event(
    data: st.DataObject, chosen: dict[str, CostingMethod]
) -> None:
    events = list(data.draw(st.permutations(data.draw(streams()))))
    books = CostBooks(methods={item(k): m for k, m in chosen.items()})
    accepted: list[Event] = []
    for event in events:
        try:
            books, _ = apply_cost(event, books)
        except DomainError:
            continue
        accepted.append(event)
        assert reconcile_costs(books, replay(accepted).transactions) == ()


@settings(max_examples=300, deadline=None)
@given(st.data(), methods)
def test_reallocating_from_any_moment_equals_allocating_from_scratch(
    data: st.DataObject, chosen: dict[str, CostingMethod]
) -> None:
    books = _books(data.draw(streams()), chosen)
    for book in books.items.values():
        mfr = {lid: lot.mfr_lot for lid, lot in book.lots.items()}
        steps: list[Step] = [*book.supplies, *book.usages.values(), *book.returns]
        full = allocate(book.method, mfr, book.usages, steps)
        assert full == (book.allocations, book.givebacks)
        for since in sorted({step.at for step in steps}):
            again = allocate(book.method, mfr, book.usages, steps, since=since, previous=full)
            assert again == full, since


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_serial_streams_in_any_causal_order_give_the_same_books(data: st.DataObject) -> None:
    events = data.draw(serial_stories())
    shuffled = list(data.draw(st.permutations(events)))
    stories: dict[str, list[Event]] = {}
    for event in sorted(events, key=lambda e: (e.occurred_at, e.event_id)):
        stories.setdefault(_serial(event), []).append(event)
    # the shuffle decides which serial moves next; each serial's own moves stay causal
    ordered = [stories[_serial(event)].pop(0) for event in shuffled]
    books = replay_costs(ordered)
    assert books.rejected == {}
    assert books == replay_costs(sorted(events, key=lambda e: (e.occurred_at, e.event_id)))
    assert reconcile_costs(books, replay(ordered).transactions) == ()


def _serial(event: Event) -> str:
    assert isinstance(event, ShipmentReceived | ShipmentShipped | ShipmentReturned)
    return event.lines[0].serials[0]
