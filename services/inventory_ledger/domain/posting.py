"""The posting rules: one event and the states of the documents it touches → ledger lines.

Two kinds of ledger lines come out of an event:

* ``on_order``/``demand``: the *difference* between each document line's contribution
  (:func:`~.document.contributions`) before and after the event. Opening, changing, partly
  fulfilling, over-fulfilling, cancelling and closing are all the same rule, and the sum of a
  line's transactions always equals its current contribution, whatever the arrival order.
* ``on_hand``: the direct movements of goods, one line per event line (so one per mfr lot):
  receipts, returns, completed output and produced adjustments +; shipments, consumed
  materials and consumed adjustments -.

The application layer calls :func:`affected_documents`, loads and locks those documents in
sorted order, calls :func:`post`, then stores ``Posting.documents`` and appends
``Posting.transactions``. Idempotency (a repeated ``event_id``) is the caller's job.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import assert_never

from .document import (
    DocumentState,
    DocumentStatus,
    PlannedLine,
    contributing_lines,
    finish,
    fulfil,
    plan,
)
from .document_line import DocumentKey, DocumentKind, LineKey, LineRole
from .events import (
    AdjustmentPosted,
    Event,
    JobClosed,
    JobOpened,
    MaterialsConsumed,
    OrderCancelled,
    OrderChanged,
    OrderClosed,
    OrderOpened,
    OutputCompleted,
    PurchaseOpened,
    PurchaseOrderCancelled,
    PurchaseOrderChanged,
    PurchaseOrderClosed,
    PurchaseOrderOpened,
    ShipmentReceived,
    ShipmentReturned,
    ShipmentShipped,
)
from .item import ZERO, ItemKey
from .movement import movements
from .transaction import Transaction
from .validation import validate

__all__ = ["Posting", "affected_documents", "post"]


@dataclass(frozen=True, slots=True)
class Posting:
    """What one event changes: new states of the documents it changed, and ledger lines."""

    event_id: str
    documents: tuple[DocumentState, ...]
    transactions: tuple[Transaction, ...]


def affected_documents(event: Event) -> frozenset[DocumentKey]:
    """Exactly the documents whose state :func:`post` reads and may write for ``event``."""
    key = _document_of(event)
    return frozenset() if key is None else frozenset({key})


def post(event: Event, documents: Mapping[DocumentKey, DocumentState]) -> Posting:
    """Post ``event`` against the current ``documents`` (a document missing is one never seen).

    Raises :class:`~.errors.EventRejectedError` when the event breaks a business rule.
    """
    validate(event)
    on_hand = tuple(movements(event))
    key = _document_of(event)
    if key is None:
        return Posting(event.event_id, (), on_hand)
    before = documents.get(key)
    if before is None:
        before = DocumentState(key)
    after = _transition(event, before)
    changed = (after,) if after != before else ()
    return Posting(event.event_id, changed, (*_differences(event, before, after), *on_hand))


def _document_of(event: Event) -> DocumentKey | None:
    match event:
        case (
            PurchaseOrderOpened()
            | PurchaseOrderChanged()
            | PurchaseOrderCancelled()
            | PurchaseOrderClosed()
        ):
            return DocumentKey(DocumentKind.PURCHASE_ORDER, event.po_id)
        case OrderOpened() | OrderChanged() | OrderCancelled() | OrderClosed():
            return DocumentKey(DocumentKind.ORDER, event.order_id)
        case ShipmentReceived(po_id=str(po_id)):
            return DocumentKey(DocumentKind.PURCHASE_ORDER, po_id)
        case ShipmentShipped(order_id=str(order_id)):
            return DocumentKey(DocumentKind.ORDER, order_id)
        case JobOpened() | MaterialsConsumed() | OutputCompleted() | JobClosed():
            return DocumentKey(DocumentKind.JOB, event.job_id)
        case (
            ShipmentReceived()
            | ShipmentShipped()
            | ShipmentReturned()
            | PurchaseOpened()
            | AdjustmentPosted()
        ):
            return None
        case _:
            assert_never(event)


def _transition(event: Event, doc: DocumentState) -> DocumentState:
    planned = _planned(event)
    if planned is not None:
        return plan(doc, planned)
    match event:
        case PurchaseOrderCancelled() | OrderCancelled():
            return finish(doc, DocumentStatus.CANCELLED)
        case PurchaseOrderClosed() | OrderClosed() | JobClosed():
            return finish(doc, DocumentStatus.CLOSED)
        case _:
            for role, line_id, item, qty in _fulfilments(event):
                doc = fulfil(doc, role, line_id, item, qty)
            return doc


def _planned(event: Event) -> dict[LineRole, list[PlannedLine]] | None:
    match event:
        case PurchaseOrderOpened() | PurchaseOrderChanged():
            return {LineRole.PURCHASE: [(ln.line_id, ln.item, ln.qty) for ln in event.lines]}
        case OrderOpened() | OrderChanged():
            return {LineRole.SALE: [(ln.line_id, ln.item, ln.qty) for ln in event.lines]}
        case JobOpened():
            return {
                LineRole.OUTPUT: [(ln.line_id, ln.item, ln.qty) for ln in event.outputs],
                LineRole.INPUT: [(ln.line_id, ln.item, ln.qty) for ln in event.inputs],
            }
        case _:
            return None


def _fulfilments(event: Event) -> list[tuple[LineRole, str | None, ItemKey, Decimal]]:
    """(role, named line or None, item, qty) of every line the event fulfils."""
    match event:
        case ShipmentReceived():
            return [(LineRole.PURCHASE, ln.po_line_id, ln.item, ln.qty) for ln in event.lines]
        case ShipmentShipped():
            return [(LineRole.SALE, ln.order_line_id, ln.item, ln.qty) for ln in event.lines]
        case MaterialsConsumed():
            return [(LineRole.INPUT, ln.input_line_id, ln.item, ln.qty) for ln in event.lines]
        case OutputCompleted():
            return [(LineRole.OUTPUT, ln.output_line_id, ln.item, ln.qty) for ln in event.lines]
        case _:
            return []


def _differences(
    event: Event, before: DocumentState, after: DocumentState
) -> Iterator[Transaction]:
    for line, item, qty in _changed_lines(before, after):
        yield Transaction(
            item=item,
            bucket=line.role.bucket,
            qty=qty,
            occurred_at=event.occurred_at,
            event_id=event.event_id,
            document=str(line.document),
            document_line=line.label,
        )


def _changed_lines(
    before: DocumentState, after: DocumentState
) -> list[tuple[LineKey, ItemKey, Decimal]]:
    """``after``'s contributions minus ``before``'s, zeros omitted, in (role, line_id, item) order.

    Both sides come in line order, one item per line, so when one side is empty the other is
    already sorted. Otherwise lines are matched by (role, line_id, lic, location): plain
    strings, which hash and compare in C, where the key dataclasses would call Python each time.
    """
    old, new = contributing_lines(before), contributing_lines(after)
    if not old:
        return [(line, item, qty - ZERO) for line, item, qty in new]
    if not new:
        return [(line, item, ZERO - qty) for line, item, qty in old]
    moved: dict[tuple[LineRole, str, str, str], tuple[LineKey, ItemKey, Decimal, Decimal]] = {}
    for line, item, qty in old:
        moved[line.role, line.line_id, item.lic, item.location] = (line, item, qty, ZERO)
    for line, item, qty in new:
        order = (line.role, line.line_id, item.lic, item.location)
        known = moved.get(order)
        moved[order] = (line, item, ZERO if known is None else known[2], qty)
    changed = []
    for order in sorted(moved):
        line, item, was, now = moved[order]
        if (qty := now - was) != ZERO:
            changed.append((line, item, qty))
    return changed
