"""Cost rolling into made goods: assembly, division, jobs, and cost flowing down a chain.

* Assembly: 2 A @ 5 + 1 B @ 7 -> 1 KIT @ 17. When A's bill makes it 6, the component's COGS
  rises by 2, the kit's cost to 19, and the kit already shipped gets a +2 COGS adjustment.
* Division: 10 C @ 4 = 40 -> 6 D + 4 E; by cost_share 1 : 3 -> D 10 / 6 = 1.666667, E 30 / 4
  = 7.5; without shares by quantity -> both 4.
* Job: consumes 3 A @ 5 = 15, completes 2 X -> estimated 7.5; closed with 5 additional
  cost -> final (15 + 5) / 2 = 10.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from inventory_ledger.domain.cogs import CogsCause
from inventory_ledger.domain.cost_books import apply_cost
from inventory_ledger.domain.events import AdjustmentKind
from inventory_ledger.domain.lot import CostStatus

from .support import (
    D,
    adj_line,
    adjustment,
    bill,
    books_of,
    completed,
    consumed,
    job_closed,
    job_opened,
    lot_of,
    po_opened,
    received,
    shipped,
    usage_of,
)

pytestmark = pytest.mark.unit

KIT_LOT = "adjustment:A-k/3:main/KIT"
ASSEMBLY = [
    po_opened("p", 0, "PO", ("L1", "A", 4, 5)),
    received("a", 0.5, "A", 4, po=("PO", "L1")),
    received("b", 0.5, "B", 2, unit_cost=7),
    adjustment(
        "k",
        1,
        AdjustmentKind.ASSEMBLY,
        (adj_line("1", "A", 2), adj_line("2", "B", 1)),
        (adj_line("3", "KIT", 1),),
    ),
    shipped("s", 2, "KIT", 1),
]


def test_an_assembly_costs_its_components() -> None:
    books = books_of(ASSEMBLY)
    kit = lot_of(books, KIT_LOT)
    assert (kit.unit_cost, kit.cost_status) == (D(17), CostStatus.FINAL)
    assert usage_of(books, "shipment:S-s/1").cogs == D(17)


def test_a_bill_flows_through_the_assembly_into_the_kit_sold() -> None:
    books = books_of(ASSEMBLY)
    books, changes = apply_cost(bill("x", 3, "PO", ("L1", 4, 6)), books)
    assert lot_of(books, KIT_LOT).unit_cost == D(19)
    assert sorted((e.usage_id, e.amount, e.cause) for e in changes.cogs) == [
        ("adjustment:A-k/1", D(2), CogsCause.REVALUATION),
        ("shipment:S-s/1", D(2), CogsCause.REVALUATION),
    ]


@pytest.mark.parametrize(
    ("shares", "d_cost", "e_cost"),
    [((1, 3), D("1.666667"), D("7.5")), ((None, None), D(4), D(4))],
)
def test_a_division_splits_the_source_cost(
    shares: tuple[int | None, int | None], d_cost: Decimal, e_cost: Decimal
) -> None:
    books = books_of(
        [
            received("c", 0, "C", 10, unit_cost=4),
            adjustment(
                "d",
                1,
                AdjustmentKind.DIVISION,
                (adj_line("1", "C", 10),),
                (
                    adj_line("2", "D", 6, cost_share=shares[0]),
                    adj_line("3", "E", 4, cost_share=shares[1]),
                ),
            ),
        ]
    )
    assert lot_of(books, "adjustment:A-d/2:main/D").unit_cost == d_cost
    assert lot_of(books, "adjustment:A-d/3:main/E").unit_cost == e_cost


def test_a_job_close_makes_its_production_lot_final() -> None:
    job = [
        received("a", 0, "A", 3, unit_cost=5),
        job_opened("j", 0, "J", [("O1", "X", 2)]),
        consumed("jc", 1, "J", "A", 3),
        completed("jo", 2, "J", "X", 2, "O1"),
    ]
    open_job = lot_of(books_of(job), "job:J/output:O1:main/X")
    assert (open_job.unit_cost, open_job.cost_status) == (D("7.5"), CostStatus.ESTIMATED)
    closed = lot_of(books_of([*job, job_closed("jx", 3, "J", 5)]), "job:J/output:O1:main/X")
    assert (closed.unit_cost, closed.cost_status) == (D(10), CostStatus.FINAL)
