"""Hypothesis strategies for random business streams, as chains of ordered events.

A *chain* is the events of one document on one topic (one partition key): the only order the
ledger may rely on. A stream is a list of chains; :func:`interleave` merges them in any order
that keeps every chain's own order, which is exactly what independent topics can deliver.
Streams include over-receipts and over-shipments, receipts and shipments that name no line or
a line the document does not have, PO/order changes (quantities, removed, added and re-itemed
lines), cancellations, closes, jobs, every adjustment kind, and goods moving without a
document.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import count

from hypothesis import strategies as st

from inventory_ledger.domain import ItemKey
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

__all__ = ["Chain", "interleave", "streams"]

Chain = tuple[Event, ...]
Draw = st.DrawFn

ITEMS = (ItemKey("A"), ItemKey("B"), ItemKey("C"), ItemKey("A", "east"))
T0 = datetime(2026, 11, 1, tzinfo=UTC)

QTYS = [Decimal(n) for n in range(1, 13)] + [Decimal("0.5"), Decimal("2.25"), Decimal("0.001")]
items = st.sampled_from(ITEMS)
qtys = st.sampled_from(QTYS)
goods = st.sampled_from([(it, q) for it in ITEMS for q in QTYS])
"""(item, qty) in one draw: cheaper generation, same shrinking towards the first choices."""
lotted = st.sampled_from([(q, lot) for lot in (None, "LOT-1", None, "LOT-2") for q in QTYS])
"""(qty, mfr_lot) in one draw."""
Plan = list[tuple[str, ItemKey, Decimal]]


class _Clock:
    """Unique event ids and increasing business times within one stream."""

    def __init__(self) -> None:
        self._n = count(1)

    def stamp(self, prefix: str) -> tuple[str, datetime]:
        n = next(self._n)
        return f"{prefix}#{n}", T0 + timedelta(minutes=n)


def _plan(draw: Draw, first_line: int = 1) -> Plan:
    size = draw(st.integers(1, 3))
    return [(str(first_line + i), *draw(goods)) for i in range(size)]


def _changed(draw: Draw, plan: Plan) -> Plan:
    """A new full state: lines kept (maybe re-quantified or re-itemed), dropped, or added."""
    new: Plan = []
    for line_id, item, qty in plan:
        fate = draw(st.sampled_from(["keep", "qty", "item", "drop"]))
        if fate != "drop":
            new.append(
                (
                    line_id,
                    draw(items) if fate == "item" else item,
                    draw(qtys) if fate == "qty" else qty,
                )
            )
    if draw(st.booleans()):
        new.append((str(len(plan) + 1), draw(items), draw(qtys)))
    return new


def _named_line(draw: Draw, plan: Plan) -> tuple[str | None, ItemKey]:
    """A line id to fulfil (a real one, none, or one the document lacks) and the goods' item."""
    choices: list[tuple[str | None, ItemKey]] = []
    for line_id, item, _ in plan:
        choices += [(line_id, item)] * 3 + [(None, item), ("99", item)]
        choices += [(line_id, other) for other in ITEMS if other != item][:1]
    return draw(st.sampled_from(choices))


def _terminal(draw: Draw) -> str | None:
    return draw(st.sampled_from([None, None, "cancelled", "closed"]))


def _purchase(draw: Draw, clock: _Clock, n: int) -> list[Chain]:
    po_id, plan = f"PO{n}", _plan(draw)
    chain: list[Event] = []

    def po_lines(lines: Plan) -> tuple[PurchaseOrderLine, ...]:
        cost = Decimal("1.5")
        return tuple(
            PurchaseOrderLine(line_id=i, item=it, qty=q, est_unit_cost=cost) for i, it, q in lines
        )

    eid, at = clock.stamp(po_id)
    chain.append(
        PurchaseOrderOpened(event_id=eid, occurred_at=at, po_id=po_id, lines=po_lines(plan))
    )
    named = list(plan)
    if draw(st.booleans()):
        plan = _changed(draw, plan) or plan
        named += plan
        eid, at = clock.stamp(po_id)
        chain.append(
            PurchaseOrderChanged(event_id=eid, occurred_at=at, po_id=po_id, lines=po_lines(plan))
        )
    ending = _terminal(draw)
    if ending:
        eid, at = clock.stamp(po_id)
        kind = PurchaseOrderCancelled if ending == "cancelled" else PurchaseOrderClosed
        chain.append(kind(event_id=eid, occurred_at=at, po_id=po_id))
    chains: list[Chain] = [tuple(chain)]
    for r in range(draw(st.integers(0, 3))):
        lines = []
        for k in range(draw(st.integers(1, 2))):
            line_id, item = _named_line(draw, named)
            qty, lot = draw(lotted)
            lines.append(
                ReceivedLine(
                    line_id=str(k + 1), po_line_id=line_id, item=item, qty=qty, mfr_lot=lot
                )
            )
        eid, at = clock.stamp(f"R{n}.{r}")
        chains.append(
            (
                ShipmentReceived(
                    event_id=eid,
                    occurred_at=at,
                    shipment_id=f"R{n}.{r}",
                    po_id=po_id,
                    lines=tuple(lines),
                ),
            )
        )
    if draw(st.booleans()):
        eid, at = clock.stamp(f"B{n}")
        billed = tuple(
            BilledLine(po_line_id=i, qty=q, unit_cost=Decimal("1.6")) for i, _, q in plan
        )
        chains.append(
            (
                PurchaseOpened(
                    event_id=eid, occurred_at=at, purchase_id=f"B{n}", po_id=po_id, lines=billed
                ),
            )
        )
    return chains


def _sale(draw: Draw, clock: _Clock, n: int) -> list[Chain]:
    order_id, plan = f"SO{n}", _plan(draw)
    chain: list[Event] = []

    def order_lines(lines: Plan) -> tuple[OrderLine, ...]:
        return tuple(OrderLine(line_id=i, item=it, qty=q) for i, it, q in lines)

    eid, at = clock.stamp(order_id)
    chain.append(
        OrderOpened(event_id=eid, occurred_at=at, order_id=order_id, lines=order_lines(plan))
    )
    named = list(plan)
    if draw(st.booleans()):
        plan = _changed(draw, plan) or plan
        named += plan
        eid, at = clock.stamp(order_id)
        chain.append(
            OrderChanged(event_id=eid, occurred_at=at, order_id=order_id, lines=order_lines(plan))
        )
    ending = _terminal(draw)
    if ending:
        eid, at = clock.stamp(order_id)
        kind = OrderCancelled if ending == "cancelled" else OrderClosed
        chain.append(kind(event_id=eid, occurred_at=at, order_id=order_id))
    chains: list[Chain] = [tuple(chain)]
    for s in range(draw(st.integers(0, 3))):
        lines = []
        for k in range(draw(st.integers(1, 2))):
            line_id, item = _named_line(draw, named)
            qty, lot = draw(lotted)
            lines.append(
                ShippedLine(
                    line_id=str(k + 1), order_line_id=line_id, item=item, qty=qty, mfr_lot=lot
                )
            )
        eid, at = clock.stamp(f"S{n}.{s}")
        chains.append(
            (
                ShipmentShipped(
                    event_id=eid,
                    occurred_at=at,
                    shipment_id=f"S{n}.{s}",
                    order_id=order_id,
                    lines=tuple(lines),
                ),
            )
        )
    if draw(st.booleans()):
        eid, at = clock.stamp(f"RT{n}")
        back = ReturnedLine(line_id="1", item=plan[0][1], qty=draw(qtys))
        chains.append(
            (
                ShipmentReturned(
                    event_id=eid,
                    occurred_at=at,
                    shipment_id=f"RT{n}",
                    order_id=order_id,
                    original_shipment_id=f"S{n}.0",
                    lines=(back,),
                ),
            )
        )
    return chains


def _job(draw: Draw, clock: _Clock, n: int) -> list[Chain]:
    job_id, outputs, inputs = f"J{n}", _plan(draw), _plan(draw)
    eid, at = clock.stamp(job_id)
    chain: list[Event] = [
        JobOpened(
            event_id=eid,
            occurred_at=at,
            job_id=job_id,
            outputs=tuple(JobLine(line_id=i, item=it, qty=q) for i, it, q in outputs),
            inputs=tuple(JobLine(line_id=i, item=it, qty=q) for i, it, q in inputs),
        )
    ]
    for _ in range(draw(st.integers(0, 4))):
        eid, at = clock.stamp(job_id)
        if draw(st.booleans()):
            named, item = _named_line(draw, inputs)
            qty, lot = draw(lotted)
            used = ConsumedLine(line_id="1", input_line_id=named, item=item, qty=qty, mfr_lot=lot)
            chain.append(
                MaterialsConsumed(event_id=eid, occurred_at=at, job_id=job_id, lines=(used,))
            )
        else:
            named, item = _named_line(draw, outputs)
            made = CompletedLine(line_id="1", output_line_id=named, item=item, qty=draw(qtys))
            chain.append(
                OutputCompleted(event_id=eid, occurred_at=at, job_id=job_id, lines=(made,))
            )
    if draw(st.booleans()):
        eid, at = clock.stamp(job_id)
        chain.append(JobClosed(event_id=eid, occurred_at=at, job_id=job_id))
    return [tuple(chain)]


_SHAPES = {
    AdjustmentKind.INCREASE: (0, 2),
    AdjustmentKind.BEGINNING_BALANCE: (0, 1),
    AdjustmentKind.DECREASE: (2, 0),
    AdjustmentKind.ASSEMBLY: (2, 1),
    AdjustmentKind.DIVISION: (1, 2),
}


def _adjustment(draw: Draw, clock: _Clock, n: int) -> list[Chain]:
    kind = draw(st.sampled_from(list(AdjustmentKind)))
    n_consumed, n_produced = _SHAPES[kind]

    def lines(size: int, first: int) -> tuple[AdjustmentLine, ...]:
        return tuple(
            AdjustmentLine(line_id=str(first + i), item=draw(items), qty=draw(qtys))
            for i in range(size)
        )

    eid, at = clock.stamp(f"ADJ{n}")
    return [
        (
            AdjustmentPosted(
                event_id=eid,
                occurred_at=at,
                adjustment_id=f"ADJ{n}",
                kind=kind,
                consumed=lines(n_consumed, 1),
                produced=lines(n_produced, 10),
            ),
        )
    ]


def _loose(draw: Draw, clock: _Clock, n: int) -> list[Chain]:
    """Goods moving without a document: a receipt without PO or a shipment without order."""
    eid, at = clock.stamp(f"L{n}")
    if draw(st.booleans()):
        line = ReceivedLine(line_id="1", item=draw(items), qty=draw(qtys), unit_cost=Decimal(2))
        return [
            (ShipmentReceived(event_id=eid, occurred_at=at, shipment_id=f"L{n}", lines=(line,)),)
        ]
    out = ShippedLine(line_id="1", item=draw(items), qty=draw(qtys))
    return [(ShipmentShipped(event_id=eid, occurred_at=at, shipment_id=f"L{n}", lines=(out,)),)]


@st.composite
def streams(draw: Draw) -> list[Chain]:
    """A random business stream as chains (see the module docstring)."""
    clock, chains = _Clock(), []
    for build, most in ((_purchase, 2), (_sale, 2), (_job, 2), (_adjustment, 2), (_loose, 2)):
        for n in range(draw(st.integers(0, most))):
            chains += build(draw, clock, n)
    return chains


def interleave(chains: Sequence[Chain], rnd: random.Random) -> list[Event]:
    """One delivery order: a uniformly random merge that keeps each chain's order."""
    turns = [i for i, chain in enumerate(chains) for _ in chain]
    rnd.shuffle(turns)
    position = [0] * len(chains)
    merged = []
    for i in turns:
        merged.append(chains[i][position[i]])
        position[i] += 1
    return merged
