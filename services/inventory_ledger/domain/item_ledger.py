"""One item's cost books, kept incrementally: the working copy the fold mutates in place.

:class:`ItemLedger` holds what an :class:`~.item_book.ItemBook` holds (facts, steps, rows)
plus the allocation state at the end of the item's history and the indexes that keep every
event's work proportional to what it touches:

* an event later than every step of the item runs its own steps on the end state (the
  append-only fast path: nothing else is read or rewritten);
* a backdated event at ``since`` rewinds the end state over the tail (the steps and rows at
  or after ``since``, see ``allocation_rewind``), drops the tail rows and re-runs the
  steps from ``since`` on — the same rows :func:`~.item_book.record` makes;
* in a batch (``apply(facts, defer=True)``), a backdated event only inserts its steps and
  lowers the item's pending point; :meth:`ItemLedger.flush` then rewinds and re-runs the
  tail once from the earliest point, for every event of the batch (see ``flush``).

:meth:`ItemLedger.book` returns the immutable :class:`ItemBook` for queries and tests.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterable, Sequence
from dataclasses import InitVar, dataclass, field
from datetime import datetime
from decimal import Decimal
from operator import itemgetter
from types import MappingProxyType

from .allocation import Allocation, CostingMethod, GiveBack, ReturnLine, Step, Supply
from .allocation_rewind import Tail, rewind
from .allocation_state import AllocationState
from .cost_facts import ItemFacts
from .item import ZERO, ItemKey
from .item_book import ItemBook, merge_lot
from .lot import Lot
from .moment import Moment
from .reallocation import Allocated, resume, run_sorted
from .serials import SerialMove, SerialMoveKind, move_order
from .usage import Usage

__all__ = ["ItemLedger", "Reallocation"]


@dataclass(frozen=True, slots=True)
class Reallocation:
    """What one event changed in an item's rows.

    ``since``: where re-allocation started (``None``: no step, rows untouched); ``usages``:
    usages whose rows changed (their net allocation, hence COGS, may differ); ``restocked``:
    lots whose restocked quantity changed.
    """

    since: Moment | None
    usages: frozenset[str] = frozenset()
    restocked: frozenset[str] = frozenset()


def _step_key(step: Step) -> tuple[datetime, str, str, str]:
    at = step.at  # Moment.key's fields, without the property call
    return (at.at, at.event_id, at.seq, type(step).__name__)


def _steps(facts: ItemFacts) -> list[Step]:
    """An event's steps for the item, unsorted."""
    return [*facts.supplies, *facts.usages, *facts.returns]


def _stocked(steps: Iterable[Step], givebacks: Iterable[GiveBack]) -> set[str]:
    """The serials that ``steps`` (supplies) and ``givebacks`` (restocking) put in a lot:
    those whose holder a rewind over them sets back (``ItemLedger._hold_as_before``)."""
    stocked = {s for step in steps if isinstance(step, Supply) for s in step.serials}
    stocked.update(s for g in givebacks if g.lot_id is not None for s in g.serials)
    return stocked


_NO_STEP = Reallocation(None)


Change = tuple[Moment | None, set[str], set[str]]
"""What :meth:`ItemLedger.apply` changed: :class:`Reallocation`'s fields, as a tuple."""

_NO_CHANGE: Change = (None, set(), set())  # never mutated: the fold only reads it


@dataclass(slots=True)
class ItemLedger:
    """An item's facts, steps (sorted), rows (sorted), end state and per-usage indexes."""

    item: ItemKey
    method: CostingMethod = CostingMethod.FIFO
    lots: dict[str, Lot] = field(default_factory=dict)
    usages: dict[str, Usage] = field(default_factory=dict)
    mfr: dict[str, str | None] = field(default_factory=dict)
    documents: dict[str, list[str]] = field(default_factory=dict)
    steps: list[Step] = field(default_factory=list)
    keys: list[tuple[datetime, str, str, str]] = field(default_factory=list)
    """The sort key of each step (its moment's key, step type), in step order: to bisect."""
    serial_moves: dict[str, list[SerialMove]] = field(default_factory=dict)
    allocations: list[Allocation] = field(default_factory=list)
    givebacks: list[GiveBack] = field(default_factory=list)
    drawn: dict[str, list[Allocation]] = field(default_factory=dict)
    returned: dict[str, list[GiveBack]] = field(default_factory=dict)
    restocked: dict[str, Decimal] = field(default_factory=dict)
    has_mfr_lots: bool = False
    """Whether any known lot carries an mfr lot (the inferred tracking rule)."""
    has_serials: bool = False
    """Whether any serial move is known (``serial_moves`` may keep its entries elsewhere:
    ``domain/spill``)."""
    state: AllocationState = field(init=False)
    pending: tuple[Moment, tuple[datetime, str, str, str]] | None = None
    """The earliest deferred step's moment and sort key (``None``: nothing deferred)."""
    deferred: set[int] = field(default_factory=set)
    """``id`` of each step inserted since the last :meth:`flush` without being run: not in
    the rows yet, so not part of the tail a rewind undoes (the steps list keeps them alive,
    so their ids stay theirs)."""
    floor: Moment | None = None
    """The moment of the last step :meth:`compact` dropped (``None``: the history is whole).
    Steps and rows up to it are gone; an event reaching back to it needs the item's history
    (:meth:`reaches_back`)."""
    _old_live: set[str] = field(default_factory=set)
    """Usages at or before the floor whose rows were kept (pending or drawn after it)."""

    first: InitVar[dict[str, Moment] | None] = None
    """The map the allocation state keeps each lot's first availability in (a new dict if
    ``None``)."""

    def __post_init__(self, first: dict[str, Moment] | None) -> None:
        self.state = AllocationState(
            self.method,
            self.mfr,
            self.usages,
            first={} if first is None else first,
            documents=self.documents,
        )

    def compact(self, keep: int) -> bool:
        """Drop the history before the last ``keep`` steps once there are more than twice
        as many; whether anything was dropped.

        What the end state and every event later than the dropped steps need stays: the
        end state, every lot and usage (the cost graph shares them; a return finds its
        original shipment through them), the rows of every usage that is still pending or
        has a row after the floor, the give-backs per usage (a usage record reads them) and
        every serial move (the serial rules read a serial's whole story). An item with
        deferred steps is left whole.
        """
        steps = self.steps
        cut = len(steps) - keep
        if len(steps) <= 2 * keep or self.pending is not None:
            return False  # (at twice ``keep``: each cut drops as many steps as it keeps)
        keys = self.keys
        while cut > 0 and cut < len(keys) and keys[cut - 1][:3] == keys[cut][:3]:
            cut -= 1  # never split the steps of one moment
        if cut <= 0:
            return False
        floor_at = steps[cut - 1].at
        candidates = {s.usage_id for s in steps[:cut] if isinstance(s, Usage)} | self._old_live
        del steps[:cut], keys[:cut]
        self.floor = floor_at
        at = bisect_right(self.allocations, floor_at, key=lambda a: a.at)
        del self.allocations[:at]
        gat = bisect_right(self.givebacks, floor_at, key=lambda g: g.at)
        del self.givebacks[:gat]
        state, drawn, returned = self.state, self.drawn, self.returned
        live: set[str] = set()
        for uid in candidates:
            rows = drawn.get(uid, ())
            backs = returned.get(uid, ())
            if (
                uid in state.pending
                or any(a.at > floor_at for a in rows)
                or any(g.at > floor_at for g in backs)
            ):
                live.add(uid)
                continue
            drawn.pop(uid, None)
            for piece in state.usage_pieces.pop(uid, ()):
                del state.pieces[piece]
                state.piece_serials.pop(piece, None)
        self._old_live = live
        return True

    def reaches_back(self, facts: ItemFacts) -> bool:
        """Whether ``facts`` need history :meth:`compact` dropped, applied now.

        A step at or before the floor would re-allocate dropped rows; a return naming a
        shipment with a usage at or before it would give back to dropped pieces; a usage
        already known from before it would replace a dropped step; a rewind that undoes the
        stocking of a serial with moves at or before the floor would re-read its dropped rows.
        """
        if self._beyond_floor(facts):
            return True
        steps = _steps(facts)
        if self.has_serials and steps:
            return self._restocks_old_serial(min(step.at for step in steps), ())
        return False

    def may_reach_back(self, facts: Sequence[ItemFacts]) -> bool:
        """Whether applying ``facts`` (in any order, with anything applied in between that is
        itself among them) could make :meth:`reaches_back` true for one of them.

        Only the serial rule depends on what was applied before: a rewind may undo the
        stocking of a serial that one of the others supplies or gives back, so it is checked
        for the earliest step among them and every serial they stock as well.
        """
        if len(facts) == 1:
            return self.reaches_back(facts[0])
        if any(self._beyond_floor(f) for f in facts):
            return True
        steps = [step for f in facts for step in _steps(f)]
        if not (self.has_serials and steps):
            return False
        stocked = [s for f in facts for supply in f.supplies for s in supply.serials]
        stocked += [s for f in facts for line in f.returns for s in line.serials]
        return self._restocks_old_serial(min(step.at for step in steps), stocked, always=True)

    def _beyond_floor(self, facts: ItemFacts) -> bool:
        floor_at = self.floor
        if floor_at is None:
            return False
        if any(step.at <= floor_at for step in _steps(facts)):
            return True
        usages = self.usages
        for usage in facts.usages:
            known = usages.get(usage.usage_id)
            if known is not None and known.at <= floor_at:
                return True
        for line in facts.returns:
            if line.original is not None:
                for uid in self.documents.get(line.original, ()):
                    if usages[uid].at <= floor_at:
                        return True
        return False

    def _restocks_old_serial(
        self, since: Moment, serials: Iterable[str], *, always: bool = False
    ) -> bool:
        """Whether a rewind to ``since`` could re-read a serial's rows at or before the floor.

        Undoing a supply or give-back of a serial sets its holder from the serial's own rows
        before ``since`` (``_hold_as_before``): steps and rows the floor may have dropped.
        The serials stocked at or after ``since`` are those of the kept steps and give-backs
        and ``serials`` (stocked by steps not applied yet). Unless ``always``, a ``since``
        later than every step rewinds nothing.
        """
        floor_at, keys = self.floor, self.keys
        if floor_at is None:
            return False
        start = bisect_left(keys, (since.at, since.event_id, since.seq, ""))
        if start == len(keys) and not always:
            return False  # later than every step: the append-only path rewinds nothing
        gat = bisect_left(self.givebacks, since, key=lambda g: g.at)
        stocked = _stocked(self.steps[start:], self.givebacks[gat:]) | set(serials)
        moves = self.serial_moves
        return any(move.at <= floor_at for serial in stocked for move in moves.get(serial, ()))

    def known_moves(self, serials: set[str]) -> list[SerialMove]:
        """The known moves of ``serials`` (all a serial check needs)."""
        return [move for serial in serials for move in self.serial_moves.get(serial, ())]

    def record(self, facts: ItemFacts) -> Reallocation:
        """Add one event's facts and re-allocate from the earliest step they add."""
        since, usages, restocked = self.apply(facts)
        if since is None:
            return _NO_STEP
        return Reallocation(since, frozenset(usages), frozenset(restocked))

    def apply(self, facts: ItemFacts, *, defer: bool = False) -> Change:
        """:meth:`record`, as a plain tuple (since, usages, restocked lots): the fold's path.

        ``defer``: a backdated event (or any event once the item has deferred steps) only
        inserts its steps and lowers the pending point; nothing is re-allocated until
        :meth:`flush` (which reports the change then). The append-only fast path still runs
        at once: it reads and rewrites nothing but the event's own steps.
        """
        if facts.lots:
            self._merge_lots(facts.lots)
        usages = self.usages
        for usage in facts.usages:
            if usage.usage_id not in usages:
                self.documents.setdefault(usage.document, []).append(usage.usage_id)
            usages[usage.usage_id] = usage
        for move in facts.serial_moves:
            insort(self.serial_moves.setdefault(move.serial, []), move, key=move_order)
            self.has_serials = True
        supplies, used, returns = facts.supplies, facts.usages, facts.returns
        count = len(supplies) + len(used) + len(returns)
        if not count:
            return _NO_CHANGE
        if count == 1:
            step = (supplies or used or returns)[0]
            at = step.at  # _step_key, inlined
            keyed = [((at.at, at.event_id, at.seq, type(step).__name__), step)]
            new = [step]
        else:
            new = [*supplies, *used, *returns]
            keyed = sorted([(_step_key(step), step) for step in new], key=itemgetter(0))
            new = [step for _, step in keyed]
        since, earliest = keyed[0][1].at, (*keyed[0][0][:3], "")
        keys, steps, state = self.keys, self.steps, self.state
        pending = self.pending
        if pending is not None or (defer and keys and keys[-1] >= earliest):
            self._insert(keyed)
            self.deferred.update(id(step) for step in new)
            if pending is None or earliest < pending[1]:
                self.pending = (since, earliest)
            return self.flush() if not defer else _NO_CHANGE  # outside a batch: at once
        state.allocations.clear()
        state.givebacks.clear()
        if not keys or keys[-1] < earliest:  # after every step: the append-only fast path
            for key, step in keyed:
                keys.append(key)
                steps.append(step)
            return self._keep(since, run_sorted(state, new), ((), ()))
        start = bisect_left(keys, earliest)
        old_tail = steps[start:]
        self._insert(keyed)
        return self._reallocate(since, start, old_tail)

    def flush(self) -> Change:
        """Re-allocate from the earliest deferred point, once for all deferred steps.

        The old tail is the steps at or after that point that had been run (the deferred
        ones are left out: they have no rows to undo). The rows equal those of applying the
        events one at a time: rows before the point are untouched either way, and the steps
        from it on are re-run in moment order on the same state (``rewind`` gives the state
        the rows before the point leave, as ``state_at`` would).
        """
        pending = self.pending
        if pending is None:
            return _NO_CHANGE
        since, earliest = pending
        start = bisect_left(self.keys, earliest)
        deferred = self.deferred
        old_tail = [step for step in self.steps[start:] if id(step) not in deferred]
        self.pending = None
        deferred.clear()
        return self._reallocate(since, start, old_tail)

    def _insert(self, keyed: list[tuple[tuple[datetime, str, str, str], Step]]) -> None:
        """Insert the event's steps (sorted by key) at their places."""
        keys, steps = self.keys, self.steps
        for key, step in keyed:
            if not keys or keys[-1] < key:
                keys.append(key)
                steps.append(step)
            else:
                index = bisect_left(keys, key)
                keys.insert(index, key)
                steps.insert(index, step)

    def _reallocate(self, since: Moment, start: int, old_tail: list[Step]) -> Change:
        """Cut the rows from ``since``, rewind ``old_tail``, re-run the steps from ``start``."""
        state = self.state
        removed = self._cut(since)
        self._rewind(since, old_tail, removed)
        state.allocations.clear()
        state.givebacks.clear()
        return self._keep(since, resume(state, self.steps[start:]), removed)

    def _merge_lots(self, new: list[Lot]) -> None:
        """Merge the event's lot facts into the item's."""
        lots, mfr = self.lots, self.mfr
        for lot in new:
            lid = lot.lot_id
            old = lots.get(lid)
            lots[lid] = merge_lot(old, lot)
            mfr[lid] = lot.mfr_lot
            self.has_mfr_lots = self.has_mfr_lots or lot.mfr_lot is not None

    def _keep(self, since: Moment, added: Allocated, removed: Allocated) -> Change:
        """Keep the new rows (and index them); what changed."""
        allocations, givebacks = added
        self.allocations.extend(allocations)
        drawn = self.drawn
        usages: set[str] = set()
        for a in allocations:
            usage_id = a.usage_id
            usages.add(usage_id)
            rows = drawn.get(usage_id)
            if rows is None:
                drawn[usage_id] = [a]
            else:
                rows.append(a)
        for a in removed[0]:
            usages.add(a.usage_id)
        restocked: set[str] = set()
        if givebacks:
            self.givebacks.extend(givebacks)  # sorted by resume (_gb_key order)
            for g in givebacks:
                if g.usage_id is not None:
                    self.returned.setdefault(g.usage_id, []).append(g)
                elif g.lot_id is not None:
                    self.restocked[g.lot_id] = self.restocked.get(g.lot_id, ZERO) + g.qty
        for g in (*removed[1], *givebacks) if removed[1] else givebacks:
            if g.usage_id is not None:
                usages.add(g.usage_id)
            elif g.lot_id is not None:
                restocked.add(g.lot_id)
        return since, usages, restocked

    def net(self, usage_id: str) -> dict[str, Decimal]:
        """Lot -> net allocated quantity of one usage (empty if never allocated)."""
        net: dict[str, Decimal] = {}
        for a in self.drawn.get(usage_id, ()):
            net[a.lot_id] = net.get(a.lot_id, ZERO) + a.qty
        for g in self.returned.get(usage_id, ()):
            if g.lot_id is not None:
                net[g.lot_id] -= g.qty
        return net

    def book(self) -> ItemBook:
        """The immutable snapshot of the item's books."""
        return ItemBook(
            self.item,
            self.method,
            MappingProxyType(dict(self.lots)),
            MappingProxyType(dict(self.usages)),
            tuple(sorted(s for s in self.steps if isinstance(s, Supply))),
            tuple(s for s in self.steps if isinstance(s, ReturnLine)),
            tuple(sorted(m for moves in self.serial_moves.values() for m in moves)),
            tuple(self.allocations),
            tuple(self.givebacks),
        )

    def _cut(self, since: Moment) -> Allocated:
        """Remove the rows at or after ``since`` (and from the indexes); return them."""
        at = bisect_left(self.allocations, since, key=lambda a: a.at)
        gat = bisect_left(self.givebacks, since, key=lambda g: g.at)
        allocations, givebacks = tuple(self.allocations[at:]), tuple(self.givebacks[gat:])
        del self.allocations[at:], self.givebacks[gat:]
        for uid in {a.usage_id for a in allocations}:
            self.drawn[uid] = [a for a in self.drawn[uid] if a.at < since]
        for g in givebacks:
            if g.usage_id is not None:
                self.returned[g.usage_id] = [r for r in self.returned[g.usage_id] if r.at < since]
            elif g.lot_id is not None:
                self.restocked[g.lot_id] -= g.qty
        return allocations, givebacks

    def _rewind(self, since: Moment, old_tail: list[Step], removed: Allocated) -> None:
        tail = Tail(since, old_tail, removed[0], removed[1], {})
        earlier = {
            uid: (tuple(self.drawn.get(uid, ())), tuple(self.returned.get(uid, ())))
            for uid in tail.touched()
            if self.usages[uid].at < since
        }
        rewind(self.state, Tail(since, old_tail, removed[0], removed[1], earlier))
        for serial in sorted(_stocked(old_tail, removed[1])):
            self._hold_as_before(serial, since)

    def _hold_as_before(self, serial: str, since: Moment) -> None:
        """Set the lot holding ``serial`` to what the rows before ``since`` say.

        ``rewind`` undoes a tail supply or give-back of a serial by dropping its holder. That
        is the state before it unless the serial was held already: a usage without serials
        can take a serialized unit, leaving its serial held by an empty lot, and a return
        then stocks the serial again. So, as ``state_at`` does, the holder is re-read from
        the serial's own rows before ``since`` (supplies and give-backs put it in a lot,
        allocations take it out), found through its moves (the rows are already cut).
        """
        rows: list[tuple[Moment, int, str | None]] = []
        for move in self.serial_moves.get(serial, ()):
            if move.at < since:
                rows += self._serial_rows(serial, move, since)
        holder = None
        for _, _, lot in sorted(rows, key=lambda r: (r[0], r[1])):
            holder = lot
        holders = self.state.holders
        if holder is None:
            holders.pop(serial, None)
        else:
            holders[serial] = holder

    def _serial_rows(
        self, serial: str, move: SerialMove, since: Moment
    ) -> list[tuple[Moment, int, str | None]]:
        """The rows before ``since`` of one move of ``serial``: (moment, 0 in / 1 out, lot)."""
        at = move.at
        if move.kind is SerialMoveKind.RETURN:
            start = bisect_left(self.givebacks, at, key=lambda g: g.at)
            rows: list[tuple[Moment, int, str | None]] = []
            for g in self.givebacks[start:]:
                if g.at != at:
                    break
                if g.lot_id is not None and serial in g.serials:
                    rows.append((at, 0, g.lot_id))
            return rows
        for step in self._steps_at(at):
            if serial not in step.serials:
                continue
            if isinstance(step, Supply):
                return [(at, 0, step.lot_id)]
            if isinstance(step, Usage):
                return [
                    (a.at, 1, None)
                    for a in self.drawn.get(step.usage_id, ())
                    if serial in a.serials and a.at < since
                ]
        return []

    def _steps_at(self, at: Moment) -> list[Step]:
        """The steps at moment ``at``."""
        keys, key = self.keys, (at.at, at.event_id, at.seq)
        start = bisect_left(keys, (*key, ""))
        end = start
        while end < len(keys) and keys[end][:3] == key:
            end += 1
        return self.steps[start:end]
