"""Document state: which documents an event touches, and order-independent line state."""

from __future__ import annotations

from decimal import Decimal

import pytest

from inventory_ledger.domain import (
    DocumentKey,
    DocumentKind,
    DocumentStatus,
    ItemKey,
    LineKey,
    LineRole,
    affected_documents,
    contributions,
    post,
    replay,
)
from inventory_ledger.domain.document import contributing_lines
from inventory_ledger.domain.events import AdjustmentKind, Event

from .builders import (
    adjustment,
    bill,
    consumed,
    job_closed,
    job_opened,
    order_opened,
    output_completed,
    po_changed,
    po_closed,
    po_opened,
    received,
    returned,
    shipped,
)

pytestmark = pytest.mark.unit

PO = DocumentKey(DocumentKind.PURCHASE_ORDER, "PO-1")
SO = DocumentKey(DocumentKind.ORDER, "SO-1")
JOB = DocumentKey(DocumentKind.JOB, "J1")

AFFECTED: list[tuple[str, Event, set[DocumentKey]]] = [
    ("PO event", po_closed("PO-1"), {PO}),
    ("receipt against a PO", received("R1", "PO-1", ("1", "1", "A", 1, None)), {PO}),
    ("receipt without a PO", received("R1", None, ("1", None, "A", 1, None)), set()),
    ("vendor bill", bill("B1", "PO-1", ("1", 1, "1")), set()),
    ("order event", order_opened("SO-1", ("1", "A", 1)), {SO}),
    ("shipment against an order", shipped("S1", "SO-1", ("1", "1", "A", 1)), {SO}),
    ("shipment without an order", shipped("S1", None, ("1", None, "A", 1)), set()),
    ("return", returned("RT1", ("1", "A", 1)), set()),
    ("job opened", job_opened("J1", [("1", "K", 1)], []), {JOB}),
    ("materials consumed", consumed("J1", ("1", "1", "A", 1)), {JOB}),
    ("output completed", output_completed("J1", ("1", "1", "K", 1)), {JOB}),
    ("job closed", job_closed("J1"), {JOB}),
    ("adjustment", adjustment("X", AdjustmentKind.INCREASE, [], [("1", "A", 1)]), set()),
]


@pytest.mark.parametrize(("event", "expected"), [(e, x) for _, e, x in AFFECTED],
                         ids=[name for name, _, _ in AFFECTED])  # fmt: skip
def test_affected_documents(event: Event, expected: set[DocumentKey]) -> None:
    assert affected_documents(event) == frozenset(expected)


def test_a_receipt_before_its_po_gives_the_same_document_as_after() -> None:
    opened = po_opened("PO-1", ("1", "A", 10), ("2", "B", 4))
    receipt = received("R1", "PO-1", ("1", "1", "A", 3, None), ("2", None, "B", 1, None))
    change = po_changed("PO-1", ("1", "A", 8))

    in_order = replay([opened, receipt, change])
    receipt_first = replay([receipt, opened, change])

    assert in_order.documents == receipt_first.documents
    assert in_order.balances == receipt_first.balances
    document = in_order.documents[PO]
    assert document.status is DocumentStatus.OPEN
    line_a = document.line(LineKey(PO, LineRole.PURCHASE, "1"))
    assert (line_a.ordered, line_a.fulfilled, line_a.open_qty) == tuple(map(Decimal, (8, 3, 5)))
    # line 2 was removed by the change: nothing ordered, its unassigned receipt stays recorded
    assert contributions(document) == {(LineKey(PO, LineRole.PURCHASE, "1"), ItemKey("A")): 5}


def test_unassigned_fulfilment_fills_lines_of_its_item_in_line_order() -> None:
    opened = order_opened("SO-1", ("1", "A", 2), ("2", "B", 5), ("3", "A", 4))
    shipment = shipped("S1", "SO-1", ("1", None, "A", 3))

    document = replay([opened, shipment]).documents[SO]

    assert contributions(document) == {
        (LineKey(SO, LineRole.SALE, "2"), ItemKey("B")): -5,
        (LineKey(SO, LineRole.SALE, "3"), ItemKey("A")): -3,
    }


def test_a_job_numbers_outputs_and_inputs_apart() -> None:
    opened = job_opened("J1", [("1", "K", 2)], [("1", "A", 4)])

    document = replay([opened, output_completed("J1", ("1", "1", "K", 2))]).documents[JOB]

    assert contributions(document) == {(LineKey(JOB, LineRole.INPUT, "1"), ItemKey("A")): -4}


def test_contributing_lines_are_the_contributions_in_line_order() -> None:
    opened = order_opened("SO-1", ("2", "B", 5), ("10", "A", 4), ("1", "A", 2))
    shipment = shipped("S1", "SO-1", ("1", None, "A", 3))  # unassigned: fills 1, then 10

    document = replay([opened, shipment]).documents[SO]

    lines = contributing_lines(document)
    assert [(line.line_id, item.lic, qty) for line, item, qty in lines] == [
        ("10", "A", Decimal(-3)),  # line ids compare as strings: "1" < "10" < "2"
        ("2", "B", Decimal(-5)),
    ]
    assert {(line, item): qty for line, item, qty in lines} == contributions(document)


def test_a_posting_lists_its_line_differences_by_role_line_and_item() -> None:
    opened = job_opened("J1", [("1", "K", 2), ("2", "L", 1)], [("1", "B", 5), ("2", "A", 3)])
    change = job_opened("J1", [("1", "K", 3), ("2", "L", 1)], [("1", "A", 5), ("2", "A", 4)])
    documents = dict(replay([opened]).documents)

    posting = post(change, documents)

    assert [(t.document_line, t.item.lic, t.qty) for t in posting.transactions] == [
        ("input:1", "A", Decimal(-5)),  # line input:1 moved from B to A: A first, then B
        ("input:1", "B", Decimal(5)),
        ("input:2", "A", Decimal(-1)),
        ("output:1", "K", Decimal(1)),  # output:2 is unchanged: no line
    ]


def test_document_keys_sort_by_kind_then_id_and_name_their_document() -> None:
    keys = [
        DocumentKey(DocumentKind.PURCHASE_ORDER, "PO-1"),
        DocumentKey(DocumentKind.ORDER, "SO-2"),
        DocumentKey(DocumentKind.JOB, "J9"),
        DocumentKey(DocumentKind.ORDER, "SO-10"),
    ]

    assert [str(key) for key in sorted(keys)] == [
        "job:J9",  # the lock order: kind, then id (as strings)
        "order:SO-10",
        "order:SO-2",
        "purchase_order:PO-1",
    ]
    assert len({*keys, DocumentKey(DocumentKind.ORDER, "SO-2")}) == 4
    assert (
        repr(keys[0])
        == "DocumentKey(kind=<DocumentKind.PURCHASE_ORDER: 'purchase_order'>, document_id='PO-1')"
    )
