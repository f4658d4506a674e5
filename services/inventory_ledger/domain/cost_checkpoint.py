"""The per-item checkpoint the store persists to resume allocation without an item's history.

An :class:`ItemCheckpoint` is the allocation state at the *end* of an item's history (after
its latest step, ``last``), in plain values (str, Decimal, datetime, tuples):

* ``open_lots``: every lot with free quantity — id, free qty, first availability (its FIFO /
  LIFO place) and mfr lot — in FIFO order;
* ``pending``: every usage still (partly) unallocated — id, unallocated qty, moment (pending
  usage is served oldest first), mfr lot and the serials it still waits for;
* ``holders``: the lot each in-stock serial sits in;
* ``mfr_lots``: whether any lot of the item names an mfr lot (the inferred tracking rule).

**A new event later than every step of the item** (``since > last``) needs, besides the
checkpoint, only what the event itself names: the mfr lot and first arrival
(``received_at``) of the lots its steps supply;
for a return naming its original shipment, that shipment's usages of the item with their
rows (allocations and give-backs; they hold the pieces a give-back restores) and the first
availability of the lots those rows drew from; for serial lines, the named serials' move
timelines (``serials``). :func:`restore` builds the state; :func:`~.reallocation.resume`
runs the event's steps; the rows are appended and the new checkpoint replaces the old one.

**A backdated event at ``since <= last``** additionally loads the tail: the item's steps at
or after ``since`` (supplies, usages, return lines), its rows at or after ``since``, and, for
every usage before ``since`` those rows touch, its rows before ``since``. The tail is undone
on the restored state (:func:`~.allocation_rewind.rewind`), the rows at or after ``since``
are deleted and the steps from ``since`` on re-run — work proportional to the tail.

**Costing** resumes from rows the store keeps anyway: per lot its unit cost, status and a
*tainted* flag (its cost met a cost cycle; see ``costing``), per usage its COGS and net
allocation per lot, per (usage, lot) the valuation the journal last posted at and the posted
sum, per PO line its estimate (moment, value), bills and billed cost, per job its close. An
event loads the lots it marks and their downstream closure (``cost_graph``): the usages
allocated to a re-costed lot, the output lots of those usages' documents, the return lots
that take a re-costed lot as their latest — never a whole history, except when the closure
reaches a tainted lot (then everything downstream of a tainted or changed lot is re-evaluated
in the reference's order).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from .allocation import Allocation, CostingMethod, GiveBack
from .allocation_state import AllocationState
from .item import ItemKey
from .moment import Moment
from .reallocation import Allocated, unreturned
from .usage import Usage

__all__ = ["ItemCheckpoint", "OpenLot", "PendingUsage", "checkpoint_of", "restore"]

Instant = tuple[datetime, str, str]
"""A moment as plain values: (business time, event id, line seq)."""


@dataclass(frozen=True, slots=True)
class OpenLot:
    """A lot with free quantity: ``free`` units, first available at ``first``."""

    lot_id: str
    free: Decimal
    first: Instant
    mfr_lot: str | None = None


@dataclass(frozen=True, slots=True)
class PendingUsage:
    """A usage waiting for goods: ``qty`` unallocated, ``serials`` still not drawn."""

    usage_id: str
    qty: Decimal
    at: Instant
    mfr_lot: str | None = None
    serials: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ItemCheckpoint:
    """An item's allocation state after its latest step ``last`` (``None``: no step yet)."""

    lic: str
    location: str
    method: str
    last: Instant | None
    open_lots: tuple[OpenLot, ...] = ()
    pending: tuple[PendingUsage, ...] = ()
    holders: tuple[tuple[str, str], ...] = ()
    mfr_lots: bool = False


def checkpoint_of(
    item: ItemKey, state: AllocationState, last: Moment | None, *, mfr_lots: bool
) -> ItemCheckpoint:
    """The checkpoint of an item whose allocation state after ``last`` is ``state``."""
    lots = sorted(state.free, key=lambda lot: (state.first[lot], lot))
    return ItemCheckpoint(
        item.lic,
        item.location,
        state.method.value,
        None if last is None else last.key,
        tuple(
            OpenLot(lot, state.free[lot], state.first[lot].key, state.mfr.get(lot)) for lot in lots
        ),
        tuple(
            PendingUsage(
                uid,
                qty,
                state.usages[uid].at.key,
                state.usages[uid].mfr_lot,
                tuple(state.pending_serials.get(uid, ())),
            )
            for uid, qty in sorted(state.pending.items())
        ),
        tuple(sorted(state.holders.items())),
        mfr_lots,
    )


def restore(
    checkpoint: ItemCheckpoint,
    usages: Mapping[str, Usage],
    mfr: Mapping[str, str | None],
    originals: Mapping[str, Allocated] | None = None,
    first: Mapping[str, Moment] | None = None,
) -> AllocationState:
    """The allocation state a checkpoint stands for, ready for steps after ``last``.

    ``usages``: the pending usages, the event's own and the ``originals`` (a return's
    original usages -> their rows, oldest first); ``mfr``: the mfr lot of every lot the
    steps may touch; ``first``: the first availability (the lot's ``received_at``) of the
    lots the steps supply and of the lots ``originals`` drew from — a lot used up keeps its
    FIFO/LIFO place when it gains quantity again.
    """
    lots_mfr = {lot.lot_id: lot.mfr_lot for lot in checkpoint.open_lots}
    lots_mfr.update(mfr)
    state = AllocationState(CostingMethod(checkpoint.method), lots_mfr, usages)
    for lot in checkpoint.open_lots:
        state.free[lot.lot_id] = lot.free
        state.first[lot.lot_id] = Moment(*lot.first)
    state.first.update(first or {})
    for pending in checkpoint.pending:
        state.pending[pending.usage_id] = pending.qty
        if pending.serials:
            state.pending_serials[pending.usage_id] = list(pending.serials)
    state.holders.update(checkpoint.holders)
    for allocations, givebacks in (originals or {}).values():
        moves: list[tuple[Moment, int, Allocation | GiveBack]] = [
            *((a.at, 1, a) for a in allocations),
            *((g.at, 0, g) for g in givebacks),
        ]
        moves.sort(key=lambda m: (m[0], m[1]))
        for _, _, row in moves:
            if isinstance(row, Allocation):
                state.hold((row.at, row.usage_id, row.lot_id), row.qty, row.serials)
            else:
                unreturned(state, row)
    return state
