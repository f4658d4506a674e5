"""Buying from vendors: purchase orders, receipts (with or without a PO) and vendor bills.

A PO's life: opened → maybe changed → maybe cancelled (before any receipt) → one or more
receipts (partial, complete, sometimes over the ordered quantity) → closed → the vendor bill
with final unit costs that differ from the estimate, sometimes with freight. A few POs are
rush orders received within the hour, which is when a lagging purchasing topic delivers the
receipt before the PO.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..amounts import money, qty
from ..catalog import Item
from ..engine import DAY, HOUR, Context, Process
from .lines import Line, fresh_goods, goods_line

__all__ = ["purchase_order", "receipt_without_po"]

_TARGET = 80_000
"""Stock an item is replenished to, in thousandths (80 units, metres, kilograms...)."""
_TARGET_SERIAL = 12_000


@dataclass(slots=True)
class _PoLine:
    item: Item
    location: str
    ordered: int
    est_cents: int
    received: int = 0

    def wire(self, line_id: str) -> Line:
        return {
            "line_id": line_id,
            "lic": self.item.lic,
            "location": self.location,
            "qty": qty(self.ordered),
            "est_unit_cost": money(self.est_cents),
        }


def _new_line(ctx: Context, location: str, exclude: set[str]) -> _PoLine:
    """Replenish: of a few items looked at, the one lowest against its stock target.

    The quantity tops the item up to its target (plus a little), so stock follows demand
    instead of piling up; open POs are not counted, so some over-ordering happens, as it does.
    """
    stock, rng = ctx.stock, ctx.rng
    best, best_gap = None, 0
    for _ in range(3):
        item = rng.choice(ctx.purchased)
        if item.lic in exclude:
            continue
        target = _TARGET_SERIAL if item.tracking == "serial" else _TARGET
        gap = target - stock.on_hand(item, location)
        if best is None or gap > best_gap:
            best, best_gap = item, gap
    if best is None:  # tiny catalog: allow the same item on two lines
        best = rng.choice(ctx.purchased)
        best_gap = 0
    exclude.add(best.lic)
    units = max(2, best_gap // 1000 + rng.randint(0, 20 if best.tracking != "serial" else 3))
    est = max(1, best.cost_cents * rng.randint(90, 110) // 100)
    return _PoLine(best, location, ctx.amount(best, units, units + 2), est)


def purchase_order(ctx: Context) -> Process:
    """One PO from opening to the vendor bill."""
    rng, topics = ctx.rng, ctx.topics
    po_id, location = ctx.new_id("PO"), ctx.location()
    lics: set[str] = set()
    lines = {str(n): _new_line(ctx, location, lics) for n in range(1, rng.randint(1, 4) + 1)}
    state = {"po_id": po_id}
    if rng.random() < 0.9:
        state["vendor"] = rng.choice(ctx.catalog.vendors)

    def wire() -> list[Line]:
        return [line.wire(line_id) for line_id, line in lines.items()]

    ctx.emit(topics.purchasing, po_id, "purchase_order.opened", {**state, "lines": wire()})
    rush = rng.random() < 0.08
    yield rng.uniform(0.15, 1.5) * HOUR if rush else rng.uniform(0.5, 9) * DAY
    if rng.random() < 0.06:
        ctx.emit(topics.purchasing, po_id, "purchase_order.cancelled", {"po_id": po_id})
        return
    receipts = rng.weighted((1, 2, 3), (5, 8, 9))
    for n in range(receipts):
        if n > 0 and rng.random() < 0.25:
            _change(ctx, lines)
            ctx.emit(
                topics.purchasing,
                po_id,
                "purchase_order.changed",
                {"po_id": po_id, "lines": wire()},
            )
            yield rng.uniform(1, 48) * HOUR
        _receive(ctx, po_id, lines, last=n == receipts - 1)
        yield rng.uniform(1, 6) * DAY
    ctx.emit(topics.purchasing, po_id, "purchase_order.closed", {"po_id": po_id})
    yield rng.uniform(0.5, 12) * DAY
    _bill(ctx, po_id, lines)


def _change(ctx: Context, lines: dict[str, _PoLine]) -> None:
    """Vendor confirms other quantities or prices; never below what already arrived."""
    rng = ctx.rng
    for line in lines.values():
        if rng.random() < 0.5:
            line.ordered = max(line.received + line.item.step, ctx.amount(line.item, 1, 80))
        if rng.random() < 0.2:
            line.est_cents = max(1, line.est_cents * rng.randint(95, 108) // 100)
    if rng.random() < 0.3:
        first = next(iter(lines.values()))
        lines[str(len(lines) + 1)] = _new_line(
            ctx, first.location, {*(lv.item.lic for lv in lines.values())}
        )


def _receive(ctx: Context, po_id: str, lines: dict[str, _PoLine], *, last: bool) -> None:
    rng = ctx.rng
    wire_lines: list[Line] = []
    for line_id, line in lines.items():
        open_qty = line.ordered - line.received
        if open_qty <= 0:
            continue
        step = line.item.step
        milli = (
            open_qty if last else max(step, open_qty * rng.randint(30, 80) // 100 // step * step)
        )
        if last and rng.random() < 0.08:
            milli += max(step, line.ordered * rng.randint(5, 20) // 100 // step * step)
        line.received += milli
        for pick in fresh_goods(ctx, line.item, milli, "M"):
            wire = goods_line(len(wire_lines) + 1, line.item, line.location, pick)
            wire["po_line_id"] = line_id
            wire_lines.append(wire)
            ctx.stock.put(line.item, line.location, pick)
    if wire_lines:
        shipment_id = ctx.new_id("RCV")
        data = {"shipment_id": shipment_id, "po_id": po_id, "lines": wire_lines}
        ctx.emit(ctx.topics.shipping, shipment_id, "shipment.received", data)


def _bill(ctx: Context, po_id: str, lines: dict[str, _PoLine]) -> None:
    rng = ctx.rng
    billed = [
        {
            "po_line_id": line_id,
            "qty": qty(line.received),
            "unit_cost": money(max(1, line.est_cents * rng.randint(88, 115) // 100)),
        }
        for line_id, line in lines.items()
        if line.received > 0
    ]
    if not billed:
        return
    purchase_id = ctx.new_id("BILL")
    data: Line = {"purchase_id": purchase_id, "po_id": po_id, "lines": billed}
    if rng.random() < 0.4:
        data["freight"] = money(rng.randint(1500, 25000))
    ctx.emit(ctx.topics.purchasing, purchase_id, "purchase.opened", data)


def receipt_without_po(ctx: Context) -> Process:
    """Goods that arrive without a purchase order (a sample, a vendor's replacement)."""
    rng, location = ctx.rng, ctx.location()
    lines: list[Line] = []
    for item in rng.sample(ctx.purchased, k=min(len(ctx.purchased), rng.randint(1, 2))):
        milli = ctx.amount(item, 1, 8 if item.tracking == "serial" else 40)
        cost = money(max(1, item.cost_cents * rng.randint(85, 120) // 100))
        for pick in fresh_goods(ctx, item, milli, "M"):
            line = goods_line(len(lines) + 1, item, location, pick)
            line["unit_cost"] = cost
            lines.append(line)
            ctx.stock.put(item, location, pick)
    shipment_id = ctx.new_id("RCV")
    ctx.emit(
        ctx.topics.shipping,
        shipment_id,
        "shipment.received",
        {"shipment_id": shipment_id, "lines": lines},
    )
    yield from ()
