"""Reconciliation reports broken invariants with numbers, and a cost cycle stays finite.

The books are tampered with directly (the fold never produces such states) to show each
invariant is really checked. The cycle: a division of B into A waits for B; an assembly of
A (from that division) plus M @ 5 makes the B it waited for. Costing cuts the cycle where
the evaluation (in lot-id order) meets a lot it is still costing: costing the division's A
first, it reaches the assembly's use of that same A and counts it at zero, so B = 5 (just
M) and A = 1 * 5 / 2 = 2.5. The result is finite, the same in every arrival order, and every
invariant holds.
"""

from __future__ import annotations

from dataclasses import replace
from itertools import permutations
from types import MappingProxyType

import pytest

from inventory_ledger.domain import replay
from inventory_ledger.domain.cost_books import replay_costs
from inventory_ledger.domain.cost_reconcile import reconcile_costs
from inventory_ledger.domain.events import AdjustmentKind

from .support import D, adj_line, adjustment, books_of, item, lot_of, received, shipped

pytestmark = pytest.mark.unit

STREAM = [received("r", 0, "A", 5, unit_cost=2), shipped("s", 1, "A", 2)]


def test_sound_books_reconcile_clean() -> None:
    assert reconcile_costs(books_of(STREAM), replay(STREAM).transactions) == ()


def test_a_missing_transaction_breaks_invariant_1() -> None:
    found = reconcile_costs(replay_costs(STREAM), replay(STREAM[:1]).transactions)
    assert [(m.invariant, m.expected, m.actual) for m in found] == [(1, D(5), D(3))]


def test_cogs_not_matching_the_allocation_breaks_invariant_4() -> None:
    books = replay_costs(STREAM)
    tampered = replace(books, cogs=MappingProxyType({"shipment:S-s/1": D(1)}))
    found = reconcile_costs(tampered, replay(STREAM).transactions)
    assert [(m.invariant, m.subject, m.expected, m.actual) for m in found] == [
        (4, "shipment:S-s/1", D(4), D(1))
    ]


def test_an_unallocated_usage_beside_free_stock_breaks_invariant_3() -> None:
    books = replay_costs(STREAM)
    book = books.items[item("A")]
    tampered = replace(
        books,
        items=MappingProxyType({item("A"): replace(book, allocations=())}),
        cogs=MappingProxyType({}),
        posted=MappingProxyType({}),
    )
    found = reconcile_costs(tampered, replay(STREAM).transactions)
    assert [(m.invariant, m.subject, m.actual) for m in found] == [
        (3, "shipment:S-s/1 unallocated", D(5))
    ]


CYCLE = [
    received("m", 0, "M", 1, unit_cost=5),
    adjustment(
        "d",
        1,
        AdjustmentKind.DIVISION,
        (adj_line("1", "B", 1),),
        (adj_line("2", "A", 2),),
    ),
    adjustment(
        "k",
        2,
        AdjustmentKind.ASSEMBLY,
        (adj_line("1", "A", 2), adj_line("2", "M", 1)),
        (adj_line("3", "B", 1),),
    ),
]


def test_a_cost_cycle_is_cut_deterministically() -> None:
    books = books_of(CYCLE)
    assert lot_of(books, "adjustment:A-k/3:main/B").unit_cost == D(5)
    assert lot_of(books, "adjustment:A-d/2:main/A").unit_cost == D("2.5")
    assert all(books_of(order) == books for order in permutations(CYCLE))
