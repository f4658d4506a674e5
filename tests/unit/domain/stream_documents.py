"""Chains of one document each: POs with receipts and bills, orders with shipments and a
return, jobs, adjustments, and goods moving without a document.

Each function returns the document's own chain (its events on its own topic, in order) and
one single-event chain per shipment, bill or adjustment (those have their own message keys).
"""

from __future__ import annotations

from decimal import Decimal

from hypothesis import strategies as st

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
    OrderCancelled,
    OrderChanged,
    OrderClosed,
    OrderLine,
    OrderOpened,
    OutputCompleted,
    PurchaseOpened,
    PurchaseOrderCancelled,
    PurchaseOrderChanged,
    PurchaseOrderClosed,
    PurchaseOrderLine,
    PurchaseOrderOpened,
    ReceivedLine,
    ReturnedLine,
    ShipmentReceived,
    ShipmentReturned,
    ShipmentShipped,
    ShippedLine,
)

from .stream_atoms import (
    Chain,
    Clock,
    Draw,
    Plan,
    changed_plan,
    items,
    lotted,
    named_line,
    plan_lines,
    qtys,
    terminal,
)

__all__ = ["adjustment_chains", "job_chains", "loose_chains", "purchase_chains", "sale_chains"]

_COST = Decimal("1.5")


def purchase_chains(draw: Draw, clock: Clock, n: int) -> list[Chain]:
    """A PO (opened, maybe changed, maybe cancelled/closed), 0-3 receipts, maybe a bill."""
    po_id, plan = f"PO{n}", plan_lines(draw)

    def lines(plan: Plan) -> tuple[PurchaseOrderLine, ...]:
        return tuple(
            PurchaseOrderLine(line_id=i, item=it, qty=q, est_unit_cost=_COST) for i, it, q in plan
        )

    chain: list[Event] = [PurchaseOrderOpened(**clock.stamp(po_id), po_id=po_id, lines=lines(plan))]
    named = list(plan)
    if draw(st.booleans()):
        plan = changed_plan(draw, plan) or plan
        named += plan
        chain.append(PurchaseOrderChanged(**clock.stamp(po_id), po_id=po_id, lines=lines(plan)))
    ending = terminal(draw)
    if ending:
        kind = PurchaseOrderCancelled if ending == "cancelled" else PurchaseOrderClosed
        chain.append(kind(**clock.stamp(po_id), po_id=po_id))
    chains: list[Chain] = [tuple(chain)]
    for r in range(draw(st.integers(0, 3))):
        received = []
        for k in range(draw(st.integers(1, 2))):
            (line_id, item), (qty, lot) = named_line(draw, named), draw(lotted)
            received.append(
                ReceivedLine(
                    line_id=str(k + 1), po_line_id=line_id, item=item, qty=qty, mfr_lot=lot
                )
            )
        shipment_id = f"R{n}.{r}"
        chains.append(
            (
                ShipmentReceived(
                    **clock.stamp(shipment_id),
                    shipment_id=shipment_id,
                    po_id=po_id,
                    lines=tuple(received),
                ),
            )
        )
    if draw(st.booleans()):
        billed = tuple(BilledLine(po_line_id=i, qty=q, unit_cost=_COST) for i, _, q in plan)
        chains.append(
            (
                PurchaseOpened(
                    **clock.stamp(f"B{n}"), purchase_id=f"B{n}", po_id=po_id, lines=billed
                ),
            )
        )
    return chains


def sale_chains(draw: Draw, clock: Clock, n: int) -> list[Chain]:
    """An order (opened, maybe changed, maybe cancelled/closed), 0-3 shipments, maybe a return."""
    order_id, plan = f"SO{n}", plan_lines(draw)

    def lines(plan: Plan) -> tuple[OrderLine, ...]:
        return tuple(OrderLine(line_id=i, item=it, qty=q) for i, it, q in plan)

    chain: list[Event] = [
        OrderOpened(**clock.stamp(order_id), order_id=order_id, lines=lines(plan))
    ]
    named = list(plan)
    if draw(st.booleans()):
        plan = changed_plan(draw, plan) or plan
        named += plan
        chain.append(OrderChanged(**clock.stamp(order_id), order_id=order_id, lines=lines(plan)))
    ending = terminal(draw)
    if ending:
        kind = OrderCancelled if ending == "cancelled" else OrderClosed
        chain.append(kind(**clock.stamp(order_id), order_id=order_id))
    chains: list[Chain] = [tuple(chain)]
    for s in range(draw(st.integers(0, 3))):
        shipped = []
        for k in range(draw(st.integers(1, 2))):
            (line_id, item), (qty, lot) = named_line(draw, named), draw(lotted)
            shipped.append(
                ShippedLine(
                    line_id=str(k + 1), order_line_id=line_id, item=item, qty=qty, mfr_lot=lot
                )
            )
        shipment_id = f"S{n}.{s}"
        chains.append(
            (
                ShipmentShipped(
                    **clock.stamp(shipment_id),
                    shipment_id=shipment_id,
                    order_id=order_id,
                    lines=tuple(shipped),
                ),
            )
        )
    if draw(st.booleans()):
        back = (ReturnedLine(line_id="1", item=plan[0][1], qty=draw(qtys)),)
        chains.append(
            (
                ShipmentReturned(
                    **clock.stamp(f"RT{n}"),
                    shipment_id=f"RT{n}",
                    order_id=order_id,
                    original_shipment_id=f"S{n}.0",
                    lines=back,
                ),
            )
        )
    return chains


def job_chains(draw: Draw, clock: Clock, n: int) -> list[Chain]:
    """A job: opened, 0-4 consumptions/completions, maybe closed — all on one key, in order."""
    job_id, outputs, inputs = f"J{n}", plan_lines(draw), plan_lines(draw)
    chain: list[Event] = [
        JobOpened(
            **clock.stamp(job_id),
            job_id=job_id,
            outputs=tuple(JobLine(line_id=i, item=it, qty=q) for i, it, q in outputs),
            inputs=tuple(JobLine(line_id=i, item=it, qty=q) for i, it, q in inputs),
        )
    ]
    for _ in range(draw(st.integers(0, 4))):
        if draw(st.booleans()):
            (line_id, item), (qty, lot) = named_line(draw, inputs), draw(lotted)
            used = ConsumedLine(line_id="1", input_line_id=line_id, item=item, qty=qty, mfr_lot=lot)
            chain.append(MaterialsConsumed(**clock.stamp(job_id), job_id=job_id, lines=(used,)))
        else:
            (line_id, item), qty = named_line(draw, outputs), draw(qtys)
            made = CompletedLine(line_id="1", output_line_id=line_id, item=item, qty=qty)
            chain.append(OutputCompleted(**clock.stamp(job_id), job_id=job_id, lines=(made,)))
    if draw(st.booleans()):
        chain.append(JobClosed(**clock.stamp(job_id), job_id=job_id))
    return [tuple(chain)]


# kind → (consumed lines, produced lines), a valid shape of each kind
_SHAPES = {
    AdjustmentKind.INCREASE: (0, 2),
    AdjustmentKind.BEGINNING_BALANCE: (0, 1),
    AdjustmentKind.DECREASE: (2, 0),
    AdjustmentKind.ASSEMBLY: (2, 1),
    AdjustmentKind.DIVISION: (1, 2),
}


def adjustment_chains(draw: Draw, clock: Clock, n: int) -> list[Chain]:
    """One adjustment of a random kind, shaped as its kind requires."""
    kind = draw(st.sampled_from(list(AdjustmentKind)))
    n_consumed, n_produced = _SHAPES[kind]

    def lines(size: int, first: int) -> tuple[AdjustmentLine, ...]:
        return tuple(
            AdjustmentLine(line_id=str(first + i), item=draw(items), qty=draw(qtys))
            for i in range(size)
        )

    adjustment_id = f"ADJ{n}"
    posted = AdjustmentPosted(
        **clock.stamp(adjustment_id),
        adjustment_id=adjustment_id,
        kind=kind,
        consumed=lines(n_consumed, 1),
        produced=lines(n_produced, 10),
    )
    return [(posted,)]


def loose_chains(draw: Draw, clock: Clock, n: int) -> list[Chain]:
    """Goods moving without a document: a receipt without PO or a shipment without order."""
    shipment_id, item, qty = f"L{n}", draw(items), draw(qtys)
    if draw(st.booleans()):
        line = ReceivedLine(line_id="1", item=item, qty=qty, unit_cost=Decimal(2))
        return [
            (ShipmentReceived(**clock.stamp(shipment_id), shipment_id=shipment_id, lines=(line,)),)
        ]
    out = ShippedLine(line_id="1", item=item, qty=qty)
    return [(ShipmentShipped(**clock.stamp(shipment_id), shipment_id=shipment_id, lines=(out,)),)]
