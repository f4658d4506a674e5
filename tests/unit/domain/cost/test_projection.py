"""What a store writes: the records of the lots and usages an event marked dirty.

A store keeps lot, usage and allocation rows and rewrites only what ``take_dirty`` names
after each event. Kept that way on random streams in random arrival orders, those rows equal
the records the queries compute from the whole books, after every event.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inventory_ledger.domain.allocation import CostingMethod
from inventory_ledger.domain.cost_ledger import CostLedger
from inventory_ledger.domain.cost_queries import lot_records, usage_records
from inventory_ledger.domain.errors import DomainError
from inventory_ledger.domain.lot import LotRecord
from inventory_ledger.domain.usage import UsageRecord

from .streams import methods, streams
from .support import item

pytestmark = pytest.mark.unit

Rows = tuple[
    dict[str, LotRecord],
    dict[str, UsageRecord],
    dict[str, tuple[tuple[str, Decimal, Decimal], ...]],
]


def _write_dirty(ledger: CostLedger, rows: Rows) -> None:
    lots, usages, allocations = rows
    dirty_lots, dirty_usages = ledger.take_dirty()
    for lot_id in dirty_lots:
        lot = ledger.lot_record(lot_id)
        if lot is None:
            lots.pop(lot_id, None)
        else:
            lots[lot_id] = lot
    for usage_id in dirty_usages:
        usage = ledger.usage_record(usage_id)
        assert usage is not None
        usages[usage_id] = usage
        allocations[usage_id] = ledger.allocation_rows(usage_id)


@settings(max_examples=300, deadline=None)
@given(st.data(), methods)
def test_rows_rewritten_from_dirty_marks_equal_the_query_records(
    data: st.DataObject, chosen: dict[str, CostingMethod]
) -> None:
    events = list(data.draw(st.permutations(data.draw(streams(max_groups=14)))))
    ledger = CostLedger(methods={item(k): m for k, m in chosen.items()})
    rows: Rows = ({}, {}, {})
    for event in events:
        try:
            ledger.apply(event)
        except DomainError:
            assert ledger.take_dirty() == (frozenset(), frozenset())
            continue
        _write_dirty(ledger, rows)
        books = ledger.books()
        assert rows[0] == {r.lot.lot_id: r for r in lot_records(books)}
        assert rows[1] == {r.usage.usage_id: r for r in usage_records(books)}
        costs = books.costs
        for usage_id, written in rows[2].items():
            net = ledger.graph.net.get(usage_id, {})
            assert written == tuple(
                (lot, qty, costs[lot].unit_cost) for lot, qty in sorted(net.items()) if qty
            )
