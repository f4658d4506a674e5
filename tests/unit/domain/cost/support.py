"""Terse builders of cost-relevant events and a checked replay of both ledgers.

Times are hours after ``T0``; every builder takes the event id explicitly so tests can
reason about tie-breaks. ``books_of`` replays the quantity side (``replay``) and the cost
side (``replay_costs``) and asserts invariants 1, 3 and 4 on the result.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from inventory_ledger.domain import ItemKey, replay
from inventory_ledger.domain.allocation import CostingMethod
from inventory_ledger.domain.cost_books import CostBooks, replay_costs
from inventory_ledger.domain.cost_queries import lot_records, usage_records
from inventory_ledger.domain.cost_reconcile import reconcile_costs
from inventory_ledger.domain.events import (
    AdjustmentKind,
    AdjustmentLine,
    AdjustmentPosted,
    BilledLine,
    CompletedLine,
    ConsumedLine,
    Event,
    JobClosed,
    JobLine,
    JobOpened,
    MaterialsConsumed,
    OutputCompleted,
    PurchaseOpened,
    PurchaseOrderLine,
    PurchaseOrderOpened,
    ReceivedLine,
    ReturnedLine,
    ShipmentReceived,
    ShipmentReturned,
    ShipmentShipped,
    ShippedLine,
)
from inventory_ledger.domain.lot import LotRecord
from inventory_ledger.domain.usage import UsageRecord

__all__ = [
    "T0",
    "D",
    "adj_line",
    "adjustment",
    "bill",
    "books_of",
    "completed",
    "consumed",
    "item",
    "job_closed",
    "job_opened",
    "lot_of",
    "po_opened",
    "received",
    "returned",
    "shipped",
    "usage_of",
]

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
Qty = str | int


def D(value: Qty) -> Decimal:
    return Decimal(value)


def item(lic: str) -> ItemKey:
    return ItemKey(lic)


def _t(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def po_opened(eid: str, hours: float, po_id: str, *lines: tuple[str, str, Qty, Qty]) -> Event:
    """Lines: ``(line_id, lic, qty, est_unit_cost)``."""
    body = tuple(
        PurchaseOrderLine(line_id=i, item=item(lic), qty=D(q), est_unit_cost=D(c))
        for i, lic, q, c in lines
    )
    return PurchaseOrderOpened(event_id=eid, occurred_at=_t(hours), po_id=po_id, lines=body)


def bill(
    eid: str, hours: float, po_id: str, *lines: tuple[str, Qty, Qty], freight: Qty | None = None
) -> Event:
    """Lines: ``(po_line_id, qty, unit_cost)``."""
    body = tuple(BilledLine(po_line_id=i, qty=D(q), unit_cost=D(c)) for i, q, c in lines)
    return PurchaseOpened(
        event_id=eid,
        occurred_at=_t(hours),
        purchase_id=f"P-{eid}",
        po_id=po_id,
        freight=None if freight is None else D(freight),
        lines=body,
    )


def received(
    eid: str,
    hours: float,
    lic: str,
    qty: Qty,
    *,
    po: tuple[str, str] | None = None,
    unit_cost: Qty | None = None,
    mfr_lot: str | None = None,
    serials: tuple[str, ...] = (),
) -> Event:
    """One receipt line (``po`` = (po_id, po_line_id)); the shipment id is ``R-<eid>``."""
    line = ReceivedLine(
        line_id="1",
        po_line_id=None if po is None else po[1],
        item=item(lic),
        qty=D(qty),
        mfr_lot=mfr_lot,
        serials=serials,
        unit_cost=None if unit_cost is None else D(unit_cost),
    )
    return ShipmentReceived(
        event_id=eid,
        occurred_at=_t(hours),
        shipment_id=f"R-{eid}",
        po_id=None if po is None else po[0],
        lines=(line,),
    )


def shipped(
    eid: str,
    hours: float,
    lic: str,
    qty: Qty,
    *,
    mfr_lot: str | None = None,
    serials: tuple[str, ...] = (),
) -> Event:
    """One shipment line; the shipment id is ``S-<eid>`` (usage ``shipment:S-<eid>/1``)."""
    line = ShippedLine(line_id="1", item=item(lic), qty=D(qty), mfr_lot=mfr_lot, serials=serials)
    return ShipmentShipped(
        event_id=eid, occurred_at=_t(hours), shipment_id=f"S-{eid}", lines=(line,)
    )


def returned(
    eid: str,
    hours: float,
    lic: str,
    qty: Qty,
    *,
    original: str | None = None,
    mfr_lot: str | None = None,
    serials: tuple[str, ...] = (),
) -> Event:
    """One return line; ``original`` is the event id of the original shipment."""
    line = ReturnedLine(line_id="1", item=item(lic), qty=D(qty), mfr_lot=mfr_lot, serials=serials)
    return ShipmentReturned(
        event_id=eid,
        occurred_at=_t(hours),
        shipment_id=f"RT-{eid}",
        original_shipment_id=None if original is None else f"S-{original}",
        lines=(line,),
    )


def job_opened(
    eid: str, hours: float, job_id: str, outputs: Iterable[tuple[str, str, Qty]]
) -> Event:
    body = tuple(JobLine(line_id=i, item=item(lic), qty=D(q)) for i, lic, q in outputs)
    return JobOpened(event_id=eid, occurred_at=_t(hours), job_id=job_id, outputs=body, inputs=())


def consumed(eid: str, hours: float, job_id: str, lic: str, qty: Qty) -> Event:
    line = ConsumedLine(line_id="1", item=item(lic), qty=D(qty))
    return MaterialsConsumed(event_id=eid, occurred_at=_t(hours), job_id=job_id, lines=(line,))


def completed(
    eid: str, hours: float, job_id: str, lic: str, qty: Qty, output_line: str | None = None
) -> Event:
    line = CompletedLine(line_id="1", output_line_id=output_line, item=item(lic), qty=D(qty))
    return OutputCompleted(event_id=eid, occurred_at=_t(hours), job_id=job_id, lines=(line,))


def job_closed(eid: str, hours: float, job_id: str, additional_cost: Qty | None = None) -> Event:
    extra = None if additional_cost is None else D(additional_cost)
    return JobClosed(event_id=eid, occurred_at=_t(hours), job_id=job_id, additional_cost=extra)


def adj_line(
    line_id: str,
    lic: str,
    qty: Qty,
    *,
    unit_cost: Qty | None = None,
    cost_share: Qty | None = None,
    mfr_lot: str | None = None,
    serials: tuple[str, ...] = (),
) -> AdjustmentLine:
    return AdjustmentLine(
        line_id=line_id,
        item=item(lic),
        qty=D(qty),
        mfr_lot=mfr_lot,
        serials=serials,
        unit_cost=None if unit_cost is None else D(unit_cost),
        cost_share=None if cost_share is None else D(cost_share),
    )


def adjustment(
    eid: str,
    hours: float,
    kind: AdjustmentKind,
    consumed_lines: Iterable[AdjustmentLine] = (),
    produced_lines: Iterable[AdjustmentLine] = (),
) -> Event:
    return AdjustmentPosted(
        event_id=eid,
        occurred_at=_t(hours),
        adjustment_id=f"A-{eid}",
        kind=kind,
        consumed=tuple(consumed_lines),
        produced=tuple(produced_lines),
    )


def books_of(
    events: Iterable[Event], methods: Mapping[str, CostingMethod] | None = None
) -> CostBooks:
    """Replay ``events`` on both sides and assert invariants 1, 3, 4 hold."""
    stream = list(events)
    books = replay_costs(stream, methods={item(k): m for k, m in (methods or {}).items()})
    ledger = replay(stream)
    assert reconcile_costs(books, ledger.transactions) == ()
    return books


def lot_of(books: CostBooks, lot_id: str) -> LotRecord:
    return next(r for r in lot_records(books) if r.lot.lot_id == lot_id)


def usage_of(books: CostBooks, usage_id: str) -> UsageRecord:
    return next(r for r in usage_records(books) if r.usage.usage_id == usage_id)
