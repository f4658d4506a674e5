"""Document lines as the contract spells them, built from stock picks."""

from __future__ import annotations

from typing import Any

from ..amounts import qty
from ..catalog import Item
from ..engine import Context
from ..stock import Pick

__all__ = ["Line", "fresh_goods", "goods_line", "pick_lines"]

Line = dict[str, Any]


def goods_line(line_no: int, item: Item, location: str, pick: Pick) -> Line:
    """``line_id``, ``lic``, ``location``, ``qty`` and, when tracked, ``mfr_lot``/``serials``."""
    line: Line = {
        "line_id": str(line_no),
        "lic": item.lic,
        "location": location,
        "qty": qty(pick.milli),
    }
    if pick.mfr_lot is not None:
        line["mfr_lot"] = pick.mfr_lot
    if pick.serials is not None:
        line["serials"] = list(pick.serials)
    return line


def pick_lines(
    first_line_no: int, item: Item, location: str, picks: list[Pick], **extra: Any
) -> list[Line]:
    """One line per pick (a lot-tracked quantity drawn from two lots makes two lines)."""
    lines = []
    for n, pick in enumerate(picks, start=first_line_no):
        line = goods_line(n, item, location, pick)
        line.update(extra)
        lines.append(line)
    return lines


def fresh_goods(ctx: Context, item: Item, milli: int, lot_prefix: str) -> list[Pick]:
    """New goods (received or produced): fresh serials, or one or two manufacturer lots."""
    stock = ctx.stock
    if item.tracking == "serial":
        return [Pick(milli, serials=stock.new_serials(item, milli // 1000))]
    if item.tracking == "none":
        return [Pick(milli)]
    if milli >= 2 * item.step and ctx.rng.random() < 0.3:
        first = item.step * ctx.rng.randint(1, milli // item.step - 1)
        return [
            Pick(first, stock.new_mfr_lot(lot_prefix)),
            Pick(milli - first, stock.new_mfr_lot(lot_prefix)),
        ]
    return [Pick(milli, stock.new_mfr_lot(lot_prefix))]
