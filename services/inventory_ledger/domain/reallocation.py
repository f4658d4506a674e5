"""Allocating an item from any point in business time (issue 6 part 3).

:func:`allocate` processes an item's steps in moment order from a checkpoint. With
``since`` it keeps every row made before ``since`` and recomputes only the steps from
``since`` on, starting from :func:`state_at` — the state the rows before ``since`` leave.
Because a row made at moment *m* depends only on the steps at or before *m*, this equals a
full re-run from the beginning (a property test checks it for every ``since``), so a
backdated event re-allocates its item from its own moment, and nothing before it moves.

What a store loads per item to re-allocate from ``since`` (everything else stays put):

* for every lot with free quantity just before ``since``: that free quantity (supplied +
  restocked + given back - drawn, over rows before ``since``), its first-available moment
  (its FIFO/LIFO place) and its mfr lot; plus the mfr lot of lots first supplied later;
* every usage pending just before ``since``: its unallocated quantity and unallocated
  serials (and its moment: pending usage is served oldest first);
* the lot holding each serial in stock just before ``since``;
* the net allocation pieces (moment, usage, lot, qty, serials) of the usages that a return
  at or after ``since`` names as its original shipment (for give-back);
* every step (supply, usage, return line) at or after ``since``.

It then deletes the item's rows at or after ``since`` and inserts what :func:`resume`
returns. An event after every step of its item has ``since`` after every row: nothing is
deleted and only its own steps run (the append-only fast path). The same state can be had
from the other end — the item's checkpoint (the state after its latest step, see
``cost_checkpoint``) with the tail from ``since`` undone (``allocation_rewind``) — which
reads only the tail; the incremental fold (``item_ledger``) does that.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal

from .allocation import Allocation, CostingMethod, GiveBack, ReturnLine, Step, Supply
from .allocation_state import AllocationState
from .item import ZERO
from .moment import Moment
from .returns import give_back
from .usage import Usage

__all__ = ["Allocated", "allocate", "resume", "run_sorted", "state_at", "unreturned"]

Allocated = tuple[tuple[Allocation, ...], tuple[GiveBack, ...]]
"""An item's allocation rows and give-back rows, each sorted."""


def allocate(
    method: CostingMethod,
    mfr: Mapping[str, str | None],
    usages: Mapping[str, Usage],
    steps: Iterable[Step],
    *,
    since: Moment | None = None,
    previous: Allocated = ((), ()),
) -> Allocated:
    """The item's rows: ``previous`` rows before ``since`` kept, the steps from it re-run.

    ``mfr`` maps every lot of the item to its manufacturer lot; ``usages`` holds every usage
    the steps or the kept rows refer to. ``since=None`` allocates from the beginning.
    """
    kept_allocations = tuple(a for a in previous[0] if since is not None and a.at < since)
    kept_givebacks = tuple(g for g in previous[1] if since is not None and g.at < since)
    all_steps = sorted(steps, key=lambda s: (s.at, type(s).__name__))
    if since is None:
        return resume(AllocationState(method, mfr, usages), all_steps)
    state = state_at(method, mfr, usages, all_steps, (kept_allocations, kept_givebacks), since)
    rows = resume(state, [step for step in all_steps if step.at >= since])
    return (
        tuple(sorted((*kept_allocations, *rows[0]))),
        tuple(sorted((*kept_givebacks, *rows[1]), key=_gb_key)),
    )


def resume(state: AllocationState, steps: Iterable[Step]) -> Allocated:
    """Run ``steps`` (all at or after the state's moment) on ``state``; the new rows.

    This is the store's entry point: it builds the :class:`AllocationState` at ``since``
    from its tables (the aggregates :func:`state_at` describes) and passes the steps from
    ``since`` on; the rows returned replace the item's rows from ``since`` on.
    """
    todo = list(steps)
    if len(todo) > 1:
        todo.sort(key=_step_order)
    return run_sorted(state, todo)


def run_sorted(state: AllocationState, steps: Sequence[Step]) -> Allocated:
    """:func:`resume` for ``steps`` already in (moment, step type) order."""
    for step in steps:
        if isinstance(step, Usage):
            state.use(step)
        elif isinstance(step, Supply):
            state.supply(step)
        elif isinstance(step, ReturnLine):
            give_back(state, step)
    allocations, givebacks = state.allocations, state.givebacks
    # one step's rows are made in order (one end_step: same moment, by usage and lot)
    return (
        tuple(
            sorted(allocations, key=_row_order)
            if len(allocations) > 1 and len(steps) > 1
            else allocations
        ),
        tuple(sorted(givebacks, key=_gb_order) if len(givebacks) > 1 else givebacks),
    )


def _step_order(step: Step) -> tuple[tuple[datetime, str, str], str]:
    """(moment, step type): the order steps run in (plain tuples: compared in C)."""
    at = step.at  # Moment.key, without the property call
    return ((at.at, at.event_id, at.seq), type(step).__name__)


def _row_order(
    row: Allocation,
) -> tuple[tuple[datetime, str, str], str, str, Decimal, tuple[str, ...]]:
    """The order of :class:`Allocation` rows (its field order), as plain tuples."""
    at = row.at
    return ((at.at, at.event_id, at.seq), row.usage_id, row.lot_id, row.qty, row.serials)


def _gb_order(row: GiveBack) -> tuple[tuple[datetime, str, str], str, str, Decimal]:
    """The order of give-back rows (see :func:`_gb_key`), as plain tuples."""
    at = row.at
    return ((at.at, at.event_id, at.seq), row.usage_id or "", row.lot_id or "", row.qty)


def state_at(  # noqa: PLR0917 - the state's inputs, as allocate takes them
    method: CostingMethod,
    mfr: Mapping[str, str | None],
    usages: Mapping[str, Usage],
    steps: Iterable[Step],
    rows: Allocated,
    since: Moment,
) -> AllocationState:
    """The allocation state just before ``since``, rebuilt from supplies and rows alone.

    No allocation decision is re-made here: free quantity is supplied - drawn + given back,
    pending is used - drawn - cancelled, pieces are the rows less their give-backs (newest
    first, as the return did), so a store can compute the same from its tables.
    """
    state = AllocationState(method, mfr, usages)
    before = [s for s in steps if s.at < since]
    moves: list[tuple[Moment, int, Supply | GiveBack | Allocation]] = [
        *((s.at, 0, s) for s in before if isinstance(s, Supply)),
        *((g.at, 0, g) for g in rows[1] if g.at < since),
        *((a.at, 1, a) for a in rows[0] if a.at < since),
    ]
    for _, _, move in sorted(moves, key=lambda m: (m[0], m[1])):
        match move:
            case Supply():
                state.add_free(move.lot_id, move.qty, move.serials, move.at)
            case Allocation():
                _drawn(state, move)
            case GiveBack():
                _given_back(state, move)
    for usage in (s for s in before if isinstance(s, Usage)):
        _pending(state, usage, rows, since)
    for lot in [lot for lot, free in state.free.items() if free <= ZERO]:
        del state.free[lot]
    state.reorder()
    return state


def unreturned(state: AllocationState, row: GiveBack) -> None:
    """Take give-back ``row`` off the pieces it came from (serials first, newest first).

    Only the pieces move: the give-back's lot quantity and serial holders are the caller's.
    """
    if row.usage_id is None or row.lot_id is None:
        return
    pieces = state.newest_first(
        p for p in state.usage_pieces.get(row.usage_id, ()) if p[2] == row.lot_id
    )
    for serial in row.serials:
        piece = next(p for p in pieces if serial in state.piece_serials.get(p, ()))
        state.piece_serials[piece].remove(serial)
        state.pieces[piece] -= 1
    left = row.qty - len(row.serials)
    for piece in pieces:
        take = min(left, state.pieces[piece])
        state.pieces[piece] -= take
        left -= take


def _drawn(state: AllocationState, row: Allocation) -> None:
    state.free[row.lot_id] -= row.qty
    state.hold((row.at, row.usage_id, row.lot_id), row.qty, row.serials)
    for serial in row.serials:
        state.holders.pop(serial, None)


def _given_back(state: AllocationState, row: GiveBack) -> None:
    if row.usage_id is None and row.lot_id is not None:
        state.add_free(row.lot_id, row.qty, row.serials, row.at)
    if row.usage_id is None or row.lot_id is None:
        return
    unreturned(state, row)
    state.free[row.lot_id] = state.free.get(row.lot_id, ZERO) + row.qty
    state.holders.update(dict.fromkeys(row.serials, row.lot_id))


def _pending(state: AllocationState, usage: Usage, rows: Allocated, since: Moment) -> None:
    drawn = [a for a in rows[0] if a.usage_id == usage.usage_id and a.at < since]
    cancelled = [
        g for g in rows[1] if g.usage_id == usage.usage_id and g.lot_id is None and g.at < since
    ]
    left = usage.qty - sum((a.qty for a in drawn), ZERO) - sum((g.qty for g in cancelled), ZERO)
    if left > ZERO:
        state.pending[usage.usage_id] = left
        gone = {s for a in drawn for s in a.serials} | {s for g in cancelled for s in g.serials}
        serials = [s for s in usage.serials if s not in gone]
        if serials:
            state.pending_serials[usage.usage_id] = serials


def _gb_key(row: GiveBack) -> tuple[Moment, str, str, Decimal]:
    return (row.at, row.usage_id or "", row.lot_id or "", row.qty)
