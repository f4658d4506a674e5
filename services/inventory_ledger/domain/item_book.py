"""One item's cost books: the unit the store loads, locks and re-allocates.

An :class:`ItemBook` holds an item's facts (lots, supplies, usages, returns, serial moves)
and the rows its allocation derived from them. Facts merge commutatively (sums, minima,
set union), so the facts are a function of the set of events; rows are re-derived from the
earliest moment an event touched (:func:`record`), so they are too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from .allocation import Allocation, CostingMethod, GiveBack, ReturnLine, Step, Supply
from .cost_facts import ItemFacts
from .item import ItemKey
from .lot import Lot
from .moment import Moment
from .reallocation import allocate
from .serials import SerialMove
from .usage import Usage

__all__ = ["ItemBook", "merge_lot", "record"]


def _empty() -> Mapping[str, Lot]:
    return MappingProxyType({})


def _no_usage() -> Mapping[str, Usage]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True)
class ItemBook:
    """An item's lots, usages and the steps and rows of its allocation (all sorted)."""

    item: ItemKey
    method: CostingMethod = CostingMethod.FIFO
    lots: Mapping[str, Lot] = field(default_factory=_empty)
    usages: Mapping[str, Usage] = field(default_factory=_no_usage)
    supplies: tuple[Supply, ...] = ()
    returns: tuple[ReturnLine, ...] = ()
    serial_moves: tuple[SerialMove, ...] = ()
    allocations: tuple[Allocation, ...] = ()
    givebacks: tuple[GiveBack, ...] = ()

    @property
    def last(self) -> Moment | None:
        """The latest step's moment (``None`` for an item with no step yet)."""
        moments = [
            *(s.at for s in self.supplies),
            *(u.at for u in self.usages.values()),
            *(r.at for r in self.returns),
        ]
        return max(moments, default=None)


def record(book: ItemBook, facts: ItemFacts) -> tuple[ItemBook, Moment | None]:
    """Add one event's facts to ``book`` and re-allocate from the earliest step they add.

    Returns the new book and that moment (``None`` when no step was added, e.g. a PO that
    only creates an empty purchase lot). A step at or after every known step re-runs only
    itself; a backdated one re-runs the item from its own moment, never from the start.
    """
    lots = dict(book.lots)
    for lot in facts.lots:
        lots[lot.lot_id] = merge_lot(lots.get(lot.lot_id), lot)
    usages = {**book.usages, **{u.usage_id: u for u in facts.usages}}
    steps = [*(s.at for s in facts.supplies), *(u.at for u in facts.usages)]
    since = min((*steps, *(r.at for r in facts.returns)), default=None)
    new = replace(
        book,
        lots=MappingProxyType(lots),
        usages=MappingProxyType(usages),
        supplies=tuple(sorted({*book.supplies, *facts.supplies})),
        returns=tuple(sorted({*book.returns, *facts.returns}, key=lambda r: r.at)),
        serial_moves=tuple(sorted({*book.serial_moves, *facts.serial_moves})),
    )
    if since is None:
        return new, None
    mfr = {lid: lot.mfr_lot for lid, lot in lots.items()}
    steps_all: list[Step] = [*new.supplies, *new.usages.values(), *new.returns]
    rows = allocate(
        book.method,
        mfr,
        usages,
        steps_all,
        since=since,
        previous=(book.allocations, book.givebacks),
    )
    return replace(new, allocations=rows[0], givebacks=rows[1]), since


def merge_lot(old: Lot | None, new: Lot) -> Lot:
    """``old`` with one more event's facts ``new`` merged in (sums, minima, latest given).

    On the incremental fold's hot path too (``item_ledger``): the earliest start is picked by
    comparing moments' key fields directly (``min`` would call ``Moment.__lt__``); like
    ``min``, it keeps the first of equal moments.
    """
    if old is None:
        return new
    start, other = old.received_at, new.received_at
    if other is not None and (
        start is None
        or (other.at, other.event_id, other.seq) < (start.at, start.event_id, start.seq)
    ):
        start = other
    return Lot(
        old.lot_id,
        old.kind,
        old.item,
        old.document,
        old.document_line,
        old.mfr_lot,
        old.received + new.received,
        start,
        new.given_cost if new.given_cost is not None else old.given_cost,
        new.cost_share if new.cost_share is not None else old.cost_share,
    )
