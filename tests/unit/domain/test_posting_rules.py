"""The posting-rules table of domain.md, row by row.

Each case names its row. ``history`` is posted first (through the reference fold); the case
then checks exactly which transactions ``event`` posts against the resulting documents.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import pytest

from inventory_ledger.domain import Bucket, affected_documents, post, replay
from inventory_ledger.domain.events import AdjustmentKind, Event

from .builders import (
    adjustment,
    bill,
    consumed,
    job_closed,
    job_opened,
    order_cancelled,
    order_changed,
    order_closed,
    order_opened,
    output_completed,
    po_cancelled,
    po_changed,
    po_closed,
    po_opened,
    received,
    returned,
    shipped,
)

pytestmark = pytest.mark.unit

Txn = tuple[str, Bucket, Decimal, str, str | None, str | None]
"""(lic, bucket, qty, document, document_line, mfr_lot)"""

OH, OO, DE = Bucket.ON_HAND, Bucket.ON_ORDER, Bucket.DEMAND


def tx(
    lic: str, bucket: Bucket, qty: str | int, document: str, line: str, lot: str | None = None
) -> Txn:
    return (lic, bucket, Decimal(qty), document, line, lot)


@dataclass(frozen=True)
class Case:
    row: str
    name: str
    history: Sequence[Event]
    event: Event
    expected: Sequence[Txn]


PO, SO, JOB = "purchase_order:PO-1", "order:SO-1", "job:J1"
_po10 = po_opened("PO-1", ("1", "A", 10))
_po_two = po_opened("PO-1", ("1", "A", 10), ("2", "B", 3))
_so5 = order_opened("SO-1", ("1", "A", 5))
_job = job_opened("J1", [("1", "K", 2)], [("1", "A", 4), ("2", "B", 2)])

CASES = [
    # --- PO opened / changed: + open qty of the line ---------------------------------------
    Case("PO opened / changed", "opened: + open qty of every line", [],
         po_opened("PO-1", ("1", "A", 10), ("2", "B", "2.5")),
         [tx("A", OO, 10, PO, "1"), tx("B", OO, "2.5", PO, "2")]),
    Case("PO opened / changed", "changed: qty raised posts the difference", [_po10],
         po_changed("PO-1", ("1", "A", 12)), [tx("A", OO, 2, PO, "1")]),
    Case("PO opened / changed", "changed: a line not listed is removed", [_po_two],
         po_changed("PO-1", ("1", "A", 10)), [tx("B", OO, -3, PO, "2")]),
    Case("PO opened / changed", "changed: a line moved to another item", [_po10],
         po_changed("PO-1", ("1", "C", 10)), [tx("A", OO, -10, PO, "1"), tx("C", OO, 10, PO, "1")]),
    Case("PO opened / changed", "changed: the same state again posts nothing", [_po10],
         po_changed("PO-1", ("1", "A", 10)), []),
    Case("PO opened / changed", "changed after a partial receipt: only what is still open",
         [_po10, received("R1", "PO-1", ("1", "1", "A", 6, None))],
         po_changed("PO-1", ("1", "A", 8)), [tx("A", OO, -2, PO, "1")]),
    Case("PO opened / changed", "changed below what was received: on order 0, not negative",
         [_po10, received("R1", "PO-1", ("1", "1", "A", 6, None))],
         po_changed("PO-1", ("1", "A", 5)), [tx("A", OO, -4, PO, "1")]),
    Case("PO opened / changed", "opened after its receipt (other topic): only what is open",
         [received("R1", "PO-1", ("1", "1", "A", 4, None))],
         po_opened("PO-1", ("1", "A", 10)), [tx("A", OO, 6, PO, "1")]),
    # --- PO cancelled / closed: - remaining open qty ----------------------------------------
    Case("PO cancelled / closed", "cancelled: - remaining open qty of every line",
         [_po_two, received("R1", "PO-1", ("1", "1", "A", 4, None))],
         po_cancelled("PO-1"), [tx("A", OO, -6, PO, "1"), tx("B", OO, -3, PO, "2")]),
    Case("PO cancelled / closed", "closed: - remaining open qty of every line",
         [_po_two, received("R1", "PO-1", ("1", "1", "A", 4, None))],
         po_closed("PO-1"), [tx("A", OO, -6, PO, "1"), tx("B", OO, -3, PO, "2")]),
    Case("PO cancelled / closed", "closed after an over-receipt posts nothing",
         [_po10, received("R1", "PO-1", ("1", "1", "A", 12, None))], po_closed("PO-1"), []),
    # --- shipment received (PO): - received on order (never below 0), + on hand per lot -----
    Case("shipment received (PO)", "partial: - received on order, + on hand", [_po10],
         received("R1", "PO-1", ("1", "1", "A", 4, None)),
         [tx("A", OO, -4, PO, "1"), tx("A", OH, 4, "shipment:R1", "1")]),
    Case("shipment received (PO)", "over-receipt: on order never below 0", [_po10],
         received("R1", "PO-1", ("1", "1", "A", 12, None)),
         [tx("A", OO, -10, PO, "1"), tx("A", OH, 12, "shipment:R1", "1")]),
    Case("shipment received (PO)", "one on hand transaction per mfr lot", [_po10],
         received("R1", "PO-1", ("1", "1", "A", 3, "LOT-1"), ("2", "1", "A", 2, "LOT-2")),
         [tx("A", OO, -5, PO, "1"), tx("A", OH, 3, "shipment:R1", "1", "LOT-1"),
          tx("A", OH, 2, "shipment:R1", "2", "LOT-2")]),
    Case("shipment received (PO)", "before its PO is opened (other topic): on hand only", [],
         received("R1", "PO-1", ("1", "1", "A", 4, None)), [tx("A", OH, 4, "shipment:R1", "1")]),
    Case("shipment received (PO)", "without a PO: on hand only", [],
         received("R1", None, ("1", None, "A", 5, None)), [tx("A", OH, 5, "shipment:R1", "1")]),
    Case("shipment received (PO)", "no po_line_id: credited to the PO's line of that item",
         [_po_two], received("R1", "PO-1", ("1", None, "B", 2, None)),
         [tx("B", OO, -2, PO, "2"), tx("B", OH, 2, "shipment:R1", "1")]),
    Case("shipment received (PO)", "a line the PO does not have: on hand only", [_po10],
         received("R1", "PO-1", ("1", "9", "A", 4, None)), [tx("A", OH, 4, "shipment:R1", "1")]),
    Case("shipment received (PO)", "after the PO closed: on hand only", [_po10, po_closed("PO-1")],
         received("R1", "PO-1", ("1", "1", "A", 4, None)), [tx("A", OH, 4, "shipment:R1", "1")]),
    # --- purchase (bill) opened: no quantity moves -----------------------------------------
    Case("purchase (bill) opened", "moves no quantity",
         [_po10, received("R1", "PO-1", ("1", "1", "A", 10, None))],
         bill("B1", "PO-1", ("1", 10, "1.60")), []),
    # --- order opened / changed: - open qty of the line ------------------------------------
    Case("order opened / changed", "opened: - open qty of every line", [],
         order_opened("SO-1", ("1", "A", 5), ("2", "B", 1)),
         [tx("A", DE, -5, SO, "1"), tx("B", DE, -1, SO, "2")]),
    Case("order opened / changed", "changed: qty raised posts the difference", [_so5],
         order_changed("SO-1", ("1", "A", 7)), [tx("A", DE, -2, SO, "1")]),
    Case("order opened / changed", "changed: a line not listed is removed",
         [order_opened("SO-1", ("1", "A", 5), ("2", "B", 1))],
         order_changed("SO-1", ("1", "A", 5)), [tx("B", DE, 1, SO, "2")]),
    Case("order opened / changed", "opened after its shipment (other topic): only what is open",
         [shipped("S1", "SO-1", ("1", "1", "A", 2))],
         order_opened("SO-1", ("1", "A", 5)), [tx("A", DE, -3, SO, "1")]),
    # --- order cancelled / closed: + remaining ----------------------------------------------
    Case("order cancelled / closed", "cancelled: + remaining",
         [_so5, shipped("S1", "SO-1", ("1", "1", "A", 2))], order_cancelled("SO-1"),
         [tx("A", DE, 3, SO, "1")]),
    Case("order cancelled / closed", "closed: + remaining",
         [_so5, shipped("S1", "SO-1", ("1", "1", "A", 2))], order_closed("SO-1"),
         [tx("A", DE, 3, SO, "1")]),
    Case("order cancelled / closed", "closed after full shipment posts nothing",
         [_so5, shipped("S1", "SO-1", ("1", "1", "A", 5))], order_closed("SO-1"), []),
    # --- shipment shipped: + shipped on demand (never above 0), - on hand ------------------
    Case("shipment shipped", "partial: + shipped on demand, - on hand", [_so5],
         shipped("S1", "SO-1", ("1", "1", "A", 2)),
         [tx("A", DE, 2, SO, "1"), tx("A", OH, -2, "shipment:S1", "1")]),
    Case("shipment shipped", "over-shipment: demand never above 0", [_so5],
         shipped("S1", "SO-1", ("1", "1", "A", 7)),
         [tx("A", DE, 5, SO, "1"), tx("A", OH, -7, "shipment:S1", "1")]),
    Case("shipment shipped", "without an order: on hand only", [],
         shipped("S1", None, ("1", None, "A", 2)), [tx("A", OH, -2, "shipment:S1", "1")]),
    Case("shipment shipped", "no order_line_id: credited to the order's line of that item",
         [_so5], shipped("S1", "SO-1", ("1", None, "A", 1)),
         [tx("A", DE, 1, SO, "1"), tx("A", OH, -1, "shipment:S1", "1")]),
    # --- shipment returned: + on hand --------------------------------------------------------
    Case("shipment returned", "+ qty on hand", [], returned("RT1", ("1", "A", 2)),
         [tx("A", OH, 2, "shipment:RT1", "1")]),
    # --- job opened: + output qty on order, - input qty demand ------------------------------
    Case("job opened", "+ outputs on order, - inputs demand", [], _job,
         [tx("K", OO, 2, JOB, "output:1"), tx("A", DE, -4, JOB, "input:1"),
          tx("B", DE, -2, JOB, "input:2")]),
    # --- materials consumed: + qty demand (reverse), - on hand ------------------------------
    Case("materials consumed", "+ qty on demand, - on hand", [_job],
         consumed("J1", ("1", "1", "A", 3)),
         [tx("A", DE, 3, JOB, "input:1"), tx("A", OH, -3, JOB, "1")]),
    Case("materials consumed", "more than planned: demand never above 0", [_job],
         consumed("J1", ("1", "1", "A", 6)),
         [tx("A", DE, 4, JOB, "input:1"), tx("A", OH, -6, JOB, "1")]),
    Case("materials consumed", "no input_line_id: credited to the job's input of that item",
         [_job], consumed("J1", ("1", None, "B", 1)),
         [tx("B", DE, 1, JOB, "input:2"), tx("B", OH, -1, JOB, "1")]),
    # --- output completed: - qty on order (reverse), + on hand ------------------------------
    Case("output completed", "- qty on order, + on hand", [_job],
         output_completed("J1", ("1", "1", "K", 1)),
         [tx("K", OO, -1, JOB, "output:1"), tx("K", OH, 1, JOB, "1")]),
    Case("output completed", "more than planned: on order never below 0", [_job],
         output_completed("J1", ("1", "1", "K", 3)),
         [tx("K", OO, -2, JOB, "output:1"), tx("K", OH, 3, JOB, "1")]),
    # --- job closed: - remaining on order, + remaining demand -------------------------------
    Case("job closed", "- remaining on order, + remaining demand",
         [_job, consumed("J1", ("1", "1", "A", 3)), output_completed("J1", ("1", "1", "K", 1))],
         job_closed("J1"),
         [tx("K", OO, -1, JOB, "output:1"), tx("A", DE, 1, JOB, "input:1"),
          tx("B", DE, 2, JOB, "input:2")]),
    # --- adjustment produced / consumed: +/- on hand ----------------------------------------
    Case("adjustment produced / consumed", "increase: + produced", [],
         adjustment("ADJ-1", AdjustmentKind.INCREASE, produced_lines=[("1", "A", 5)]),
         [tx("A", OH, 5, "adjustment:ADJ-1", "1")]),
    Case("adjustment produced / consumed", "beginning balance: + produced", [],
         adjustment("ADJ-1", AdjustmentKind.BEGINNING_BALANCE, produced_lines=[("1", "A", 9)]),
         [tx("A", OH, 9, "adjustment:ADJ-1", "1")]),
    Case("adjustment produced / consumed", "decrease: - consumed", [],
         adjustment("ADJ-1", AdjustmentKind.DECREASE, consumed_lines=[("1", "A", 2)]),
         [tx("A", OH, -2, "adjustment:ADJ-1", "1")]),
    Case("adjustment produced / consumed", "assembly: - components, + the kit", [],
         adjustment("ADJ-1", AdjustmentKind.ASSEMBLY, [("1", "A", 2), ("2", "B", 1)],
                    [("3", "K", 1)]),
         [tx("A", OH, -2, "adjustment:ADJ-1", "1"), tx("B", OH, -1, "adjustment:ADJ-1", "2"),
          tx("K", OH, 1, "adjustment:ADJ-1", "3")]),
    Case("adjustment produced / consumed", "division: - the source, + the parts", [],
         adjustment("ADJ-1", AdjustmentKind.DIVISION, [("1", "K", 1)],
                    [("2", "A", 2), ("3", "B", 1)]),
         [tx("K", OH, -1, "adjustment:ADJ-1", "1"), tx("A", OH, 2, "adjustment:ADJ-1", "2"),
          tx("B", OH, 1, "adjustment:ADJ-1", "3")]),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[f"{c.row} | {c.name}" for c in CASES])
def test_posting_rule(case: Case) -> None:
    books = replay(case.history)
    assert not books.rejected
    documents = {
        k: books.documents[k] for k in affected_documents(case.event) if k in books.documents
    }

    posting = post(case.event, documents)

    got = Counter(
        (t.item.lic, t.bucket, t.qty, t.document, t.document_line, t.mfr_lot)
        for t in posting.transactions
    )
    assert got == Counter(case.expected)
    assert all(t.event_id == case.event.event_id for t in posting.transactions)
    assert all(t.occurred_at == case.event.occurred_at for t in posting.transactions)
    assert all(t.item.location == "main" for t in posting.transactions)


def test_every_row_of_the_table_is_covered() -> None:
    rows = {
        "PO opened / changed",
        "PO cancelled / closed",
        "shipment received (PO)",
        "purchase (bill) opened",
        "order opened / changed",
        "order cancelled / closed",
        "shipment shipped",
        "shipment returned",
        "job opened",
        "materials consumed",
        "output completed",
        "job closed",
        "adjustment produced / consumed",
    }
    assert {case.row for case in CASES} == rows
