"""What one event tells the cost side: lots, supplies, usages, returns, serials, cost inputs.

The translation is a pure function of the event alone (never of the books), which is what
lets the books be a function of the *set* of events. Ids are deterministic: a lot is
identified by its document line, item and mfr lot (:func:`~.lot.lot_id`), a usage by its
document line (jobs consume in several events, so their usage ids carry the event id).
Inside one event consumed lines come before produced lines (``seq`` ``0:`` / ``1:``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol, assert_never

from .allocation import ReturnLine, Supply
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
from .item import ZERO, ItemKey
from .lot import Lot, LotKind, lot_id
from .moment import Moment
from .serials import SerialMove, SerialMoveKind
from .usage import Usage, UsageKind

__all__ = ["CostFacts", "ItemFacts", "facts_of"]

_LOT_KIND = {
    AdjustmentKind.INCREASE: LotKind.ADJUSTMENT,
    AdjustmentKind.BEGINNING_BALANCE: LotKind.BEGINNING_BALANCE,
    AdjustmentKind.ASSEMBLY: LotKind.ASSEMBLY,
    AdjustmentKind.DIVISION: LotKind.DIVISION,
}
_USAGE_KIND = {
    AdjustmentKind.DECREASE: UsageKind.ADJUSTMENT,
    AdjustmentKind.ASSEMBLY: UsageKind.ASSEMBLY,
    AdjustmentKind.DIVISION: UsageKind.DIVISION,
}


@dataclass(slots=True)
class ItemFacts:
    """The facts of one event about one item."""

    lots: list[Lot] = field(default_factory=list)
    supplies: list[Supply] = field(default_factory=list)
    usages: list[Usage] = field(default_factory=list)
    returns: list[ReturnLine] = field(default_factory=list)
    serial_moves: list[SerialMove] = field(default_factory=list)


@dataclass(slots=True)
class CostFacts:
    """The facts of one event: per item, plus the cross-item cost inputs.

    ``estimates``: PO line (``purchase_order:<po>/<line>``) → its estimated unit cost;
    ``bill``: a vendor bill; ``close``: a job document and its additional cost.
    """

    at: Moment
    items: dict[ItemKey, ItemFacts] = field(default_factory=dict)
    estimates: dict[str, Decimal] = field(default_factory=dict)
    bill: PurchaseOpened | None = None
    close: tuple[str, Decimal] | None = None

    def of(self, item: ItemKey) -> ItemFacts:
        """The facts about ``item`` (created empty on first use)."""
        return self.items.setdefault(item, ItemFacts())


def facts_of(event: Event) -> CostFacts:
    """Translate ``event`` into cost facts (nothing is validated here)."""
    facts = CostFacts(Moment(event.occurred_at, event.event_id))
    _collect(event, facts)
    return facts


def _at(event: Event, seq: str) -> Moment:
    return Moment(event.occurred_at, event.event_id, seq)


def _moves(serials: tuple[str, ...], at: Moment, kind: SerialMoveKind) -> list[SerialMove]:
    return [SerialMove(serial, at, kind) for serial in serials]


def _collect(event: Event, facts: CostFacts) -> None:
    match event:
        case PurchaseOrderOpened() | PurchaseOrderChanged():
            _planned(event, facts)
        case PurchaseOpened():
            facts.bill = event
        case ShipmentReceived():
            _received(event, facts)
        case ShipmentShipped():
            doc = f"shipment:{event.shipment_id}"
            for sl in event.lines:
                _used(event, facts, kind=UsageKind.SHIPMENT, doc=doc, line=sl.line_id, goods=sl)
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


class _Goods(Protocol):
    @property
    def line_id(self) -> str: ...
    @property
    def item(self) -> ItemKey: ...
    @property
    def qty(self) -> Decimal: ...
    @property
    def mfr_lot(self) -> str | None: ...
    @property
    def serials(self) -> tuple[str, ...]: ...


def _used(
    event: Event, facts: CostFacts, *, kind: UsageKind, doc: str, line: str, goods: _Goods
) -> None:
    at = _at(event, f"0:{goods.line_id}")
    usage = Usage(
        f"{doc}/{line}", kind, goods.item, doc, line, goods.qty, at, goods.mfr_lot, goods.serials
    )
    facts.of(goods.item).usages.append(usage)
    facts.of(goods.item).serial_moves += _moves(goods.serials, at, SerialMoveKind.OUT)


def _made(
    event: Event,
    facts: CostFacts,
    *,
    kind: LotKind,
    doc: str,
    line: str,
    goods: _Goods,
    costs: tuple[Decimal | None, Decimal | None] = (None, None),
) -> None:
    at = _at(event, f"1:{goods.line_id}")
    lid = lot_id(doc, line, goods.item, goods.mfr_lot)
    item = facts.of(goods.item)
    given_cost, share = costs
    item.lots.append(
        Lot(lid, kind, goods.item, doc, line, goods.mfr_lot, goods.qty, at, given_cost, share)
    )
    item.supplies.append(Supply(at, lid, goods.qty, goods.serials))
    item.serial_moves += _moves(goods.serials, at, SerialMoveKind.RECEIPT)


def _planned(event: PurchaseOrderOpened | PurchaseOrderChanged, facts: CostFacts) -> None:
    doc = f"purchase_order:{event.po_id}"
    for po_line in event.lines:
        lid = lot_id(doc, po_line.line_id, po_line.item)
        lot = Lot(lid, LotKind.PURCHASE, po_line.item, doc, po_line.line_id)
        facts.of(po_line.item).lots.append(lot)
        facts.estimates[f"{doc}/{po_line.line_id}"] = po_line.est_unit_cost


def _received(event: ShipmentReceived, facts: CostFacts) -> None:
    for rl in event.lines:
        if event.po_id is not None and rl.po_line_id is not None:
            doc = f"purchase_order:{event.po_id}"
            _made(event, facts, kind=LotKind.PURCHASE, doc=doc, line=rl.po_line_id, goods=rl)
        else:
            doc = f"shipment:{event.shipment_id}"
            costs = (rl.unit_cost, None)
            _made(
                event, facts, kind=LotKind.PURCHASE, doc=doc, line=rl.line_id, goods=rl, costs=costs
            )


def _returned(event: ShipmentReturned, facts: CostFacts) -> None:
    doc = f"shipment:{event.shipment_id}"
    original = None
    if event.original_shipment_id is not None:
        original = f"shipment:{event.original_shipment_id}"
    for ret in event.lines:
        at = _at(event, f"1:{ret.line_id}")
        lid = lot_id(doc, ret.line_id, ret.item, ret.mfr_lot)
        item = facts.of(ret.item)
        item.lots.append(
            Lot(lid, LotKind.RETURN, ret.item, doc, ret.line_id, ret.mfr_lot, ZERO, at)
        )
        item.returns.append(ReturnLine(at, lid, ret.qty, original, ret.mfr_lot, ret.serials))
        item.serial_moves += _moves(ret.serials, at, SerialMoveKind.RETURN)


def _job(event: JobOpened | MaterialsConsumed | OutputCompleted, facts: CostFacts) -> None:
    doc = f"job:{event.job_id}"
    match event:
        case JobOpened():
            for out in event.outputs:
                line = f"output:{out.line_id}"
                lot = Lot(lot_id(doc, line, out.item), LotKind.PRODUCTION, out.item, doc, line)
                facts.of(out.item).lots.append(lot)
        case MaterialsConsumed():
            for cl in event.lines:
                line = f"consumed:{event.event_id}/{cl.line_id}"
                _used(event, facts, kind=UsageKind.JOB, doc=doc, line=line, goods=cl)
        case OutputCompleted():
            for co in event.lines:
                line = (
                    f"output:{co.output_line_id}"
                    if co.output_line_id is not None
                    else f"completed:{event.event_id}/{co.line_id}"
                )
                _made(event, facts, kind=LotKind.PRODUCTION, doc=doc, line=line, goods=co)


def _adjustment(event: AdjustmentPosted, facts: CostFacts) -> None:
    doc = f"adjustment:{event.adjustment_id}"
    for line in event.consumed:
        kind = _USAGE_KIND.get(event.kind, UsageKind.ADJUSTMENT)
        _used(event, facts, kind=kind, doc=doc, line=line.line_id, goods=line)
    for line in event.produced:
        lot_kind = _LOT_KIND.get(event.kind, LotKind.ADJUSTMENT)
        costs = (line.unit_cost, line.cost_share)
        _made(event, facts, kind=lot_kind, doc=doc, line=line.line_id, goods=line, costs=costs)
