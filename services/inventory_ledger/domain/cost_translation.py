"""Translating one event into cost facts: a pure function of the event alone.

Never of the books: that is what lets the books be a function of the *set* of events. Lot
ids follow the document line that made the goods: a PO line (receipts naming it add to its
lot), a receipt line without PO line, a job output line (or the completed line when it names
none), an adjustment's produced line, a return line. Job consumption can come in several
events with reused line ids, so its usage ids carry the event id.
"""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from typing import assert_never

from .allocation import ReturnLine
from .cost_facts import CostFacts, moves
from .events import (
    AdjustmentKind,
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
from .item import ZERO
from .lot import Lot, LotKind, lot_id
from .moment import Moment
from .serials import SerialMoveKind
from .sharing import shared_text
from .usage import UsageKind

__all__ = ["NOTHING_TO_COST", "facts_of"]

_LOT_KIND = {
    AdjustmentKind.INCREASE: LotKind.ADJUSTMENT,
    AdjustmentKind.BEGINNING_BALANCE: LotKind.BEGINNING_BALANCE,
    AdjustmentKind.ASSEMBLY: LotKind.ASSEMBLY,
    AdjustmentKind.DIVISION: LotKind.DIVISION,
}
_SHIPMENT, _JOB = UsageKind.SHIPMENT, UsageKind.JOB
_PURCHASE, _PRODUCTION, _RETURN = LotKind.PURCHASE, LotKind.PRODUCTION, LotKind.RETURN
_USAGE_KIND = {
    AdjustmentKind.DECREASE: UsageKind.ADJUSTMENT,
    AdjustmentKind.ASSEMBLY: UsageKind.ASSEMBLY,
    AdjustmentKind.DIVISION: UsageKind.DIVISION,
}


NOTHING_TO_COST: frozenset[type[Event]] = frozenset(
    {
        PurchaseOrderCancelled,
        PurchaseOrderClosed,
        OrderOpened,
        OrderChanged,
        OrderCancelled,
        OrderClosed,
    }
)
"""Event types whose facts are always empty (no lot, usage or cost input): orders, PO closes."""

_ZONES: dict[tuple[type[tzinfo], timedelta], tuple[tzinfo, bool]] = {}
"""(zone type, fixed offset) -> the shared zone, and whether ``astimezone`` into it keeps a
datetime's fields (it does for the standard library's and the parser's fixed-offset zones;
checked once per zone type and offset against ``replace``, which is slower)."""


def _shared_zone(at: datetime) -> datetime:
    """``at`` with one shared instance of its fixed-offset ``tzinfo`` (an equal datetime).

    Moments are compared all the time (sorting, bisecting) and two aware datetimes with
    distinct ``tzinfo`` objects compare through ``utcoffset`` calls (~1 µs each with a
    parser's own zone class), while one shared ``tzinfo`` compares their fields directly.
    Only fixed offsets are shared (``utcoffset(None)`` given and equal to ``at``'s offset),
    so the comparisons' results stay the same.
    """
    zone = at.tzinfo
    if zone is None:
        return at
    offset = zone.utcoffset(None)
    if offset is None or at.fold or offset != zone.utcoffset(at):
        return at
    found = _ZONES.get((type(zone), offset))
    if found is None:
        _ZONES[type(zone), offset] = (zone, False)
        return at
    shared, fast = found
    if shared is zone:
        return at
    if fast:
        return at.astimezone(shared)  # the same offset: the same fields, in the shared zone
    moved = at.replace(tzinfo=shared)
    if _same_fields(at.astimezone(shared), moved):
        _ZONES[type(zone), offset] = (shared, True)
    return moved


def _same_fields(one: datetime, other: datetime) -> bool:
    return (
        type(one) is type(other)
        and one.tzinfo is other.tzinfo
        and one.fold == other.fold
        and one.replace(tzinfo=None) == other.replace(tzinfo=None)
    )


def facts_of(event: Event) -> CostFacts:
    """Translate ``event`` into cost facts (nothing is validated here)."""
    facts = CostFacts(Moment(_shared_zone(event.occurred_at), event.event_id))
    match event:
        case PurchaseOrderOpened() | PurchaseOrderChanged():
            _planned(event, facts)
        case PurchaseOpened():
            facts.bill = event
        case ShipmentReceived():
            _received(event, facts)
        case ShipmentShipped():
            doc = shared_text(f"shipment:{event.shipment_id}")
            for sl in event.lines:
                facts.used(kind=_SHIPMENT, doc=doc, line=sl.line_id, goods=sl)
        case ShipmentReturned():
            _returned(event, facts)
        case JobOpened() | MaterialsConsumed() | OutputCompleted():
            _job(event, facts)
        case JobClosed():
            facts.close = (f"job:{event.job_id}", event.additional_cost or ZERO)
        case AdjustmentPosted():
            _adjustment(event, facts)
        case (
            PurchaseOrderCancelled()
            | PurchaseOrderClosed()
            | OrderOpened()
            | OrderChanged()
            | OrderCancelled()
            | OrderClosed()
        ):
            pass
        case _:
            assert_never(event)
    return facts


def _planned(event: PurchaseOrderOpened | PurchaseOrderChanged, facts: CostFacts) -> None:
    doc = shared_text(f"purchase_order:{event.po_id}")
    for po_line in event.lines:
        lid = lot_id(doc, po_line.line_id, po_line.item)
        lot = Lot(lid, _PURCHASE, po_line.item, doc, po_line.line_id)
        facts.of(po_line.item).lots.append(lot)
        facts.estimates[f"{doc}/{po_line.line_id}"] = po_line.est_unit_cost


def _received(event: ShipmentReceived, facts: CostFacts) -> None:
    for rl in event.lines:
        if event.po_id is not None and rl.po_line_id is not None:
            doc = shared_text(f"purchase_order:{event.po_id}")
            facts.made(kind=_PURCHASE, doc=doc, line=rl.po_line_id, goods=rl)
        else:
            doc = shared_text(f"shipment:{event.shipment_id}")
            costs = (rl.unit_cost, None)
            facts.made(kind=_PURCHASE, doc=doc, line=rl.line_id, goods=rl, costs=costs)


def _returned(event: ShipmentReturned, facts: CostFacts) -> None:
    doc = shared_text(f"shipment:{event.shipment_id}")
    original = None
    if event.original_shipment_id is not None:
        original = f"shipment:{event.original_shipment_id}"
    for ret in event.lines:
        at = facts.line_at(f"1:{ret.line_id}")
        lid = lot_id(doc, ret.line_id, ret.item, ret.mfr_lot)
        item = facts.of(ret.item)
        item.lots.append(Lot(lid, _RETURN, ret.item, doc, ret.line_id, ret.mfr_lot, ZERO, at))
        item.returns.append(ReturnLine(at, lid, ret.qty, original, ret.mfr_lot, ret.serials))
        item.serial_moves += moves(ret.serials, at, SerialMoveKind.RETURN)


def _job(event: JobOpened | MaterialsConsumed | OutputCompleted, facts: CostFacts) -> None:
    doc = shared_text(f"job:{event.job_id}")
    match event:
        case JobOpened():
            for out in event.outputs:
                line = shared_text(f"output:{out.line_id}")
                lot = Lot(lot_id(doc, line, out.item), _PRODUCTION, out.item, doc, line)
                facts.of(out.item).lots.append(lot)
        case MaterialsConsumed():
            for cl in event.lines:
                line = f"consumed:{event.event_id}/{cl.line_id}"
                facts.used(kind=_JOB, doc=doc, line=line, goods=cl)
        case OutputCompleted():
            for co in event.lines:
                line = (
                    f"output:{co.output_line_id}"
                    if co.output_line_id is not None
                    else f"completed:{event.event_id}/{co.line_id}"
                )
                facts.made(kind=_PRODUCTION, doc=doc, line=line, goods=co)


def _adjustment(event: AdjustmentPosted, facts: CostFacts) -> None:
    doc = shared_text(f"adjustment:{event.adjustment_id}")
    for line in event.consumed:
        kind = _USAGE_KIND.get(event.kind, UsageKind.ADJUSTMENT)
        facts.used(kind=kind, doc=doc, line=line.line_id, goods=line)
    for line in event.produced:
        lot_kind = _LOT_KIND.get(event.kind, LotKind.ADJUSTMENT)
        costs = (line.unit_cost, line.cost_share)
        facts.made(kind=lot_kind, doc=doc, line=line.line_id, goods=line, costs=costs)
