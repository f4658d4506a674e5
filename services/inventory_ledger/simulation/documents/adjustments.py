"""Inventory adjustments, every kind the contract names.

beginning_balance (opening stock, produced only, with unit cost) · increase (found in a cycle
count, produced only, with unit cost) · decrease (damage, shrinkage; consumed only, from
stock) · assembly (components consumed → one kit produced) · division (one kit consumed →
its components produced, sometimes with cost-share weights).
"""

from __future__ import annotations

from collections.abc import Callable

from ..amounts import money
from ..catalog import Item
from ..engine import Context, Process
from ..stock import Pick
from .lines import Line, fresh_goods, pick_lines

__all__ = ["adjustment", "beginning_balances"]

_OPENING_CHUNK = 10


def _post(
    ctx: Context, kind: str, reason: str | None, consumed: list[Line], produced: list[Line]
) -> None:
    adjustment_id = ctx.new_id("ADJ")
    data: Line = {"adjustment_id": adjustment_id, "kind": kind}
    if reason is not None:
        data["reason"] = reason
    for n, line in enumerate(produced, start=len(consumed) + 1):
        line["line_id"] = str(n)  # line ids are unique across consumed and produced
    data["consumed"] = consumed
    data["produced"] = produced
    ctx.emit(ctx.topics.adjustments, adjustment_id, "adjustment.posted", data)


def _costed(ctx: Context, lines: list[Line], item: Item, location: str, milli: int) -> list[Line]:
    """Produced lines that carry a unit cost (increase, beginning_balance)."""
    made = fresh_goods(ctx, item, milli, "M")
    cost = money(max(1, item.cost_cents * ctx.rng.randint(90, 110) // 100))
    for pick in made:
        ctx.stock.put(item, location, pick)
    return pick_lines(len(lines) + 1, item, location, made, unit_cost=cost)


def beginning_balances(ctx: Context) -> Process:
    """Opening stock of every item at the site, a few items per adjustment."""
    items = ctx.catalog.items
    for start in range(0, len(items), _OPENING_CHUNK):
        lines: list[Line] = []
        for item in items[start : start + _OPENING_CHUNK]:
            hi = 10 if item.tracking == "serial" else 150
            lines += _costed(ctx, lines, item, ctx.home, ctx.amount(item, 3, hi))
        _post(ctx, "beginning_balance", "opening balance", [], lines)
        yield 60.0


def _increase(ctx: Context, location: str) -> None:
    lines: list[Line] = []
    for item in ctx.rng.sample(ctx.catalog.items, k=ctx.rng.randint(1, 3)):
        lines += _costed(ctx, lines, item, location, ctx.amount(item, 1, 5))
    _post(ctx, "increase", "cycle count: found", [], lines)


def _decrease(ctx: Context, location: str) -> None:
    lines: list[Line] = []
    for item in ctx.rng.sample(ctx.catalog.items, k=ctx.rng.randint(1, 2)):
        picks = ctx.stock.take(item, location, ctx.amount(item, 1, 3))
        lines += pick_lines(len(lines) + 1, item, location, picks)
    if lines:
        _post(
            ctx,
            "decrease",
            ctx.rng.choice(("damaged", "expired", "cycle count: missing")),
            lines,
            [],
        )


def _take_all(ctx: Context, wanted: list[tuple[Item, int]], location: str) -> list[Line] | None:
    """Take every (item, quantity) in full, or nothing at all (put back what was taken)."""
    taken: list[tuple[Item, list[Pick]]] = []
    for item, milli in wanted:
        picks = ctx.stock.take(item, location, milli)
        taken.append((item, picks))
        if sum(p.milli for p in picks) < milli:
            for back_item, back in taken:
                for pick in back:
                    ctx.stock.put(back_item, location, pick)
            return None
    lines: list[Line] = []
    for item, picks in taken:
        lines += pick_lines(len(lines) + 1, item, location, picks)
    return lines


def _assembly(ctx: Context, location: str) -> None:
    kit = ctx.rng.choice(ctx.kits)
    units = ctx.rng.randint(1, 3)
    wanted = [(ctx.by_lic[lic], per_unit * units) for lic, per_unit in kit.components]
    consumed = _take_all(ctx, wanted, location)
    if consumed is None:
        return
    if kit.tracking == "mfr_lot":  # one produced line: a single new lot, never split
        made = [Pick(units * 1000, ctx.stock.new_mfr_lot("P"))]
    else:
        made = fresh_goods(ctx, kit, units * 1000, "P")
    for pick in made:
        ctx.stock.put(kit, location, pick)
    _post(ctx, "assembly", "kitting", consumed, pick_lines(1, kit, location, made))


def _division(ctx: Context, location: str) -> None:
    kit = ctx.rng.choice(ctx.kits)
    consumed = _take_all(ctx, [(kit, 1000)], location)
    if consumed is None:
        return
    produced: list[Line] = []
    weigh = ctx.rng.random() < 0.5
    for lic, per_unit in kit.components:
        item = ctx.by_lic[lic]
        made = fresh_goods(ctx, item, per_unit, "D")
        for pick in made:
            ctx.stock.put(item, location, pick)
        extra = {"cost_share": str(ctx.rng.randint(1, 9))} if weigh else {}
        produced += pick_lines(len(produced) + 1, item, location, made, **extra)
    _post(ctx, "division", "break down kit", consumed, produced)


_KINDS: tuple[Callable[[Context, str], None], ...] = (_increase, _decrease, _assembly, _division)


def adjustment(ctx: Context) -> Process:
    """One adjustment posted now, of a random kind (nothing when stock does not allow it)."""
    kind = ctx.rng.weighted(_KINDS, (3, 7, 10, 11.5))
    kind(ctx, ctx.location())
    yield from ()
