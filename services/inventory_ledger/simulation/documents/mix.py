"""How often each kind of document starts: the shape of the simulated business."""

from __future__ import annotations

from collections.abc import Callable
from itertools import accumulate

from ..engine import Context, Process
from .adjustments import adjustment, beginning_balances
from .jobs import production_job
from .purchasing import purchase_order, receipt_without_po
from .sales import direct_shipment, sales_order, unattributed_return

__all__ = ["next_document", "opening"]

_STARTERS: tuple[Callable[[Context], Process], ...] = (
    purchase_order,
    sales_order,
    production_job,
    adjustment,
    receipt_without_po,
    unattributed_return,
    direct_shipment,
)
_CUM_WEIGHTS = tuple(accumulate((24.0, 46.0, 7.0, 9.0, 3.0, 2.0, 1.0)))


def opening(ctx: Context) -> Process:
    """The first documents of the run: opening stock everywhere."""
    return beginning_balances(ctx)


def next_document(ctx: Context) -> Process:
    """A new document of a random kind, started at the current business time."""
    return ctx.rng.weighted(_STARTERS, _CUM_WEIGHTS)(ctx)
