"""The core on the simulator's business streams (translated through the real contracts).

The simulator delivers each topic with its own lag, so receipts arrive before their POs,
shipments before their orders, and so on. Whatever the lag, and with duplicates mixed in,
the books must equal the books of the same events in business-time order.
"""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from inventory_ledger.adapters.contract_events import envelope_to_domain
from inventory_ledger.domain import Balance, Bucket, ItemKey, replay
from inventory_ledger.domain.events import Event
from inventory_ledger.simulation.config import SimulatedMessage, SimulationConfig
from inventory_ledger.simulation.stream import generate

pytestmark = pytest.mark.unit

_EVENTS = 4_000


def _events(messages: Iterable[SimulatedMessage]) -> list[Event]:
    return [envelope_to_domain(m.value) for m in messages if not isinstance(m.value, bytes)]


def _nonzero(balances: dict[ItemKey, Balance]) -> dict[ItemKey, Balance]:
    return {item: balance for item, balance in balances.items() if not balance.is_zero}


@pytest.mark.parametrize("seed", [1, 7, 2026])
def test_lagging_topics_and_duplicates_give_the_books_of_business_order(seed: int) -> None:
    lagged = _events(generate(SimulationConfig(events=_EVENTS, seed=seed, duplicates=0.03)))
    wanted = {event.event_id for event in lagged}
    in_time = [
        event
        for event in _events(generate(SimulationConfig(events=2 * _EVENTS, seed=seed, max_lag_s=0)))
        if event.event_id in wanted
    ]
    assert len(lagged) > len(wanted) == len(in_time)  # duplicates were delivered

    books, reference = replay(lagged), replay(in_time)

    assert not books.rejected
    assert books.processed == reference.processed
    assert books.documents == reference.documents
    assert _nonzero(books.balances) == _nonzero(reference.balances)
    assert all(b.on_order >= 0 and b.demand <= 0 for b in books.balances.values())
    assert {t.bucket for t in books.transactions} == set(Bucket)
