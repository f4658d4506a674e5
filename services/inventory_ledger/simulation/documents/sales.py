"""Selling to customers: orders, partial shipments from stock, and returns.

An order ships only what is on the shelf at that business moment (specific serials and
manufacturer lots, first in first out), back-orders the rest for a few days, then closes,
possibly short. Some shipments come back: most returns name their original shipment, a few
arrive without it (a walk-in customer), and only goods that were shipped ever come back.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..amounts import qty
from ..catalog import Item
from ..engine import DAY, HOUR, Context, Process
from ..stock import Held
from .lines import Line, goods_line

__all__ = ["direct_shipment", "sales_order", "unattributed_return"]


@dataclass(slots=True)
class _OrderLine:
    item: Item
    location: str
    ordered: int
    shipped: int = 0

    def wire(self, line_id: str) -> Line:
        return {
            "line_id": line_id,
            "lic": self.item.lic,
            "location": self.location,
            "qty": qty(self.ordered),
        }


def _new_line(ctx: Context, location: str) -> _OrderLine:
    items = ctx.catalog.items
    item = items[int(ctx.random() * len(items))]  # Chance.choice, inlined on the hot path
    hi = 3 if item.tracking == "serial" else 25
    return _OrderLine(item, location, ctx.amount(item, 1, hi))


def sales_order(ctx: Context) -> Process:
    """One customer order from opening to closing, with its shipments."""
    rng, topic = ctx.rng, ctx.topics.sales
    order_id, location = ctx.new_id("SO"), ctx.location()
    lines = {str(n): _new_line(ctx, location) for n in range(1, rng.randint(1, 3) + 1)}
    opened: Line = {"order_id": order_id}
    if rng.random() < 0.9:
        opened["customer"] = rng.choice(ctx.catalog.customers)

    def wire() -> list[Line]:
        return [line.wire(line_id) for line_id, line in lines.items()]

    ctx.emit(topic, order_id, "order.opened", {**opened, "lines": wire()})
    yield rng.uniform(0.2, 30) * HOUR
    if rng.random() < 0.1:
        for line in lines.values():
            line.ordered = ctx.amount(line.item, 1, 3 if line.item.tracking == "serial" else 25)
        if rng.random() < 0.4:
            lines[str(len(lines) + 1)] = _new_line(ctx, location)
        ctx.emit(topic, order_id, "order.changed", {"order_id": order_id, "lines": wire()})
        yield rng.uniform(0.2, 12) * HOUR
    if rng.random() < 0.05:
        ctx.emit(topic, order_id, "order.cancelled", {"order_id": order_id})
        return
    for _ in range(4):
        _ship(ctx, order_id, lines)
        if all(line.shipped >= line.ordered for line in lines.values()):
            break
        yield rng.uniform(1, 4) * DAY
    yield rng.uniform(1, 48) * HOUR
    ctx.emit(topic, order_id, "order.closed", {"order_id": order_id})


def _ship(ctx: Context, order_id: str | None, lines: dict[str, _OrderLine]) -> None:
    """Ship what is on hand now; a third of the time only part of it (a split delivery).

    Without ``order_id`` it is a direct shipment (a replacement, a sample): no order, no
    order line ids.
    """
    rng = ctx.rng
    wire_lines: list[Line] = []
    held: list[Held] = []
    for line_id, line in lines.items():
        want = line.ordered - line.shipped
        if want <= 0:
            continue
        if rng.random() < 0.3 and want > line.item.step:
            want = max(line.item.step, want // 2 // line.item.step * line.item.step)
        for pick in ctx.stock.take(line.item, line.location, want):
            wire = goods_line(len(wire_lines) + 1, line.item, line.location, pick)
            if order_id is not None:
                wire["order_line_id"] = line_id
            wire_lines.append(wire)
            line.shipped += pick.milli
            serials = list(pick.serials) if pick.serials is not None else None
            held.append(Held(line.item, line.location, pick.milli, pick.mfr_lot, serials))
    if not wire_lines:
        return
    shipment_id = ctx.new_id("SHP")
    data: Line = {"shipment_id": shipment_id}
    if order_id is not None:
        data["order_id"] = order_id
    data["lines"] = wire_lines
    ctx.emit(ctx.topics.shipping, shipment_id, "shipment.shipped", data)
    ctx.stock.ship(shipment_id, order_id, held)
    if rng.random() < 0.08:
        ctx.spawn(_customer_return(ctx, shipment_id, named=True), rng.uniform(1, 20) * DAY)


def _customer_return(ctx: Context, shipment_id: str, *, named: bool) -> Process:
    """Part of a shipment comes back; ``named`` returns cite the original shipment."""
    order_id, held = ctx.stock.held(shipment_id)
    if held:
        rng = ctx.rng
        lines: list[Line] = []
        for goods in rng.sample(held, k=rng.randint(1, len(held))):
            milli = goods.item.step * rng.randint(1, goods.milli // goods.item.step)
            pick = ctx.stock.take_back(goods, milli)
            lines.append(goods_line(len(lines) + 1, goods.item, goods.location, pick))
        return_id = ctx.new_id("RMA")
        data: Line = {"shipment_id": return_id}
        if order_id is not None and (named or rng.random() < 0.3):
            data["order_id"] = order_id
        if named:
            data["original_shipment_id"] = shipment_id
        data["lines"] = lines
        ctx.emit(ctx.topics.shipping, return_id, "shipment.returned", data)
    yield from ()


def unattributed_return(ctx: Context) -> Process:
    """A customer brings goods back without the paperwork: no original shipment named."""
    shipment_id = ctx.stock.recent_shipment(ctx.rng.getrandbits(16))
    if shipment_id is not None:
        yield from _customer_return(ctx, shipment_id, named=False)


def direct_shipment(ctx: Context) -> Process:
    """Goods sent without a sales order (a warranty replacement, a sample)."""
    lines = {"1": _new_line(ctx, ctx.home)}
    _ship(ctx, None, lines)
    yield from ()
