"""Taking an item's allocation state back from the end of its history to a moment.

The incremental fold keeps one :class:`~.allocation_state.AllocationState` per item: the
state after its latest step (what the store persists as the item's checkpoint, see
``cost_checkpoint``). An event later than every step runs on it directly. A backdated event
at ``since`` needs the state just before ``since``; :func:`rewind` derives it from the end
state by undoing only the tail — the steps and rows at or after ``since`` — so its cost is
that of the tail, never of the item's whole history:

* free quantity and serial holders: every tail move is undone in reverse moment order
  (an allocation gives its quantity and serials back to its lot; a supply or a restocking
  give-back takes them away); a lot first available at or after ``since`` loses its place;
* every usage the tail touches (its own step, a row drawn for it, a give-back of it) is
  rebuilt from its own rows before ``since`` (``earlier``): its pieces net of give-backs,
  its pending quantity and pending serials — the same aggregates ``state_at`` computes.

The result behaves exactly as ``state_at`` would (a property test compares the rows).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from .allocation import Allocation, GiveBack, Step, Supply
from .allocation_state import AllocationState
from .item import ZERO
from .moment import Moment
from .reallocation import Allocated, unreturned
from .usage import Usage

__all__ = ["Tail", "rewind"]


@dataclass(frozen=True, slots=True)
class Tail:
    """What a rewind to ``since`` reads besides the end state.

    ``steps``, ``allocations`` and ``givebacks``: the item's steps and rows at or after
    ``since``; ``earlier``: for every usage before ``since`` that a tail row touches, its
    own rows before ``since`` (each sorted by moment).
    """

    since: Moment
    steps: Sequence[Step]
    allocations: Sequence[Allocation]
    givebacks: Sequence[GiveBack]
    earlier: Mapping[str, Allocated]

    def touched(self) -> set[str]:
        """The usages whose pieces or pending quantity the tail changed."""
        return {
            *(a.usage_id for a in self.allocations),
            *(g.usage_id for g in self.givebacks if g.usage_id is not None),
            *(s.usage_id for s in self.steps if isinstance(s, Usage)),
        }


def rewind(state: AllocationState, tail: Tail) -> None:
    """Turn ``state`` (the end of the item's history) into the state just before ``since``."""
    moves: list[tuple[Moment, int, Allocation | Supply | GiveBack]] = [
        *((a.at, 1, a) for a in tail.allocations),
        *((s.at, 0, s) for s in tail.steps if isinstance(s, Supply)),
        *((g.at, 0, g) for g in tail.givebacks if g.lot_id is not None),
    ]
    lots: set[str] = set()
    for _, _, move in sorted(moves, key=lambda m: (m[0], m[1]), reverse=True):
        lot = move.lot_id
        assert lot is not None  # usage-only give-backs were left out above
        lots.add(lot)
        if isinstance(move, Allocation):
            state.free[lot] = state.free.get(lot, ZERO) + move.qty
            state.holders.update(dict.fromkeys(move.serials, lot))
        else:
            state.free[lot] = state.free.get(lot, ZERO) - move.qty
            for serial in move.serials:
                state.holders.pop(serial, None)
    for lot in lots:
        if state.free.get(lot, ZERO) <= ZERO:
            state.free.pop(lot, None)
        first = state.first.get(lot)
        if first is not None and first >= tail.since:
            del state.first[lot]
    state.reorder()
    for usage_id in sorted(tail.touched()):
        _rebuild(state, state.usages[usage_id], tail)


def _rebuild(state: AllocationState, usage: Usage, tail: Tail) -> None:
    uid = usage.usage_id
    for piece in state.usage_pieces.pop(uid, ()):
        del state.pieces[piece]
        state.piece_serials.pop(piece, None)
    state.pending.pop(uid, None)
    state.pending_serials.pop(uid, None)
    if usage.at >= tail.since:
        return
    allocations, givebacks = tail.earlier.get(uid, ((), ()))
    rows: list[tuple[Moment, int, Allocation | GiveBack]] = [
        *((a.at, 1, a) for a in allocations),
        *((g.at, 0, g) for g in givebacks),
    ]
    left, gone = usage.qty, set[str]()
    for _, _, row in sorted(rows, key=lambda r: (r[0], r[1])):
        if isinstance(row, Allocation):
            state.hold((row.at, uid, row.lot_id), row.qty, row.serials)
            left -= row.qty
            gone.update(row.serials)
        elif row.lot_id is not None:
            unreturned(state, row)
        else:
            left -= row.qty
            gone.update(row.serials)
    if left > ZERO:
        state.pending[uid] = Decimal(left)
        serials = [s for s in usage.serials if s not in gone]
        if serials:
            state.pending_serials[uid] = serials
