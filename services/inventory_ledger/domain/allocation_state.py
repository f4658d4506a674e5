"""The working state of one item's allocation at a moment, and the moves that change it.

Mutable on purpose and private to the allocation modules: a run copies a checkpoint into an
:class:`AllocationState`, processes steps in moment order, and hands back the new rows.
Rows are merged per (step, usage, lot), so the same steps always give the same rows.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from .allocation import Allocation, CostingMethod, GiveBack, Supply
from .item import ZERO
from .moment import Moment
from .sharing import shared_decimal
from .usage import Usage

__all__ = ["AllocationState", "Piece"]

_FIFO, _LIFO = CostingMethod.FIFO, CostingMethod.LIFO


def _moment_key(at: Moment) -> tuple[datetime, str, str]:
    return (at.at, at.event_id, at.seq)  # Moment.key, without the property call


def _place(first: Moment, lot: str) -> tuple[datetime, str, str, str]:
    """A lot's place in FIFO order: (its first availability's key, its id)."""
    return (first.at, first.event_id, first.seq, lot)


Piece = tuple[Moment, str, str]
"""(step moment, usage id, lot id): one allocation row's identity."""


@dataclass(slots=True)
class AllocationState:
    """Free quantity per lot, pending usage, net allocation pieces and serial holders.

    ``free`` holds only lots with free quantity (a used-up lot leaves it, so a usage looks
    at the open lots only, never at the item's history); ``first`` is each lot's first
    availability (its FIFO/LIFO place); ``pieces`` the net quantity each allocation row
    still holds after give-backs, indexed per usage in ``usage_pieces``; ``holders`` the lot
    each in-stock serial sits in. ``documents`` (document -> its usage ids) lets a return
    find its original shipment's usages without a scan (built from ``usages`` if omitted).
    """

    method: CostingMethod
    mfr: Mapping[str, str | None]
    usages: Mapping[str, Usage]
    free: dict[str, Decimal] = field(default_factory=dict)
    first: dict[str, Moment] = field(default_factory=dict)
    pending: dict[str, Decimal] = field(default_factory=dict)
    pending_serials: dict[str, list[str]] = field(default_factory=dict)
    pieces: dict[Piece, Decimal] = field(default_factory=dict)
    piece_serials: dict[Piece, list[str]] = field(default_factory=dict)
    holders: dict[str, str] = field(default_factory=dict)
    documents: Mapping[str, Collection[str]] | None = None
    usage_pieces: dict[str, list[Piece]] = field(default_factory=dict)
    """Usage id -> its pieces, each once (a list: most usages hold one or two pieces, and a
    set of one costs three times a list of one; every reader is order-free)."""
    _open: list[tuple[datetime, str, str, str]] | None = None
    """(first, lot) of the lots in ``free``, sorted; ``None`` until needed (then rebuilt)."""
    allocations: list[Allocation] = field(default_factory=list)
    givebacks: list[GiveBack] = field(default_factory=list)
    _rows: dict[tuple[str, str], tuple[Decimal, list[str]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for piece in self.pieces:
            self._index(piece)

    def usages_of(self, document: str) -> Collection[str]:
        """The ids of the usages made by ``document``."""
        if self.documents is None:
            index: dict[str, list[str]] = {}
            for usage in self.usages.values():
                index.setdefault(usage.document, []).append(usage.usage_id)
            self.documents = index
        return self.documents.get(document, ())

    def hold(self, piece: Piece, qty: Decimal, serials: Iterable[str]) -> None:
        """Allocation row ``piece`` holds ``qty`` (with ``serials``) net of give-backs."""
        self.pieces[piece] = qty
        if serials:  # only serial pieces carry a list: most pieces have none
            self.piece_serials[piece] = list(serials)
        self._index(piece)

    def _index(self, piece: Piece) -> None:
        held = self.usage_pieces.get(piece[1])
        if held is None:
            self.usage_pieces[piece[1]] = [piece]
        elif piece not in held:
            held.append(piece)

    def supply(self, step: Supply) -> None:
        """A lot gained quantity: make it free, then let pending usage draw from it."""
        self.add_free(step.lot_id, step.qty, step.serials, step.at)
        self.fill_pending({step.lot_id}, step.at)

    def add_free(self, lot: str, qty: Decimal, serials: Iterable[str], at: Moment) -> None:
        """``qty`` of ``lot`` (holding ``serials``) became free at ``at``."""
        self.first.setdefault(lot, at)
        self.gain(lot, qty)
        self.holders.update(dict.fromkeys(serials, lot))

    def gain(self, lot: str, qty: Decimal) -> None:
        """``qty`` more of ``lot`` (already placed in ``first``) is free."""
        had = self.free.get(lot, ZERO)
        self.free[lot] = had + qty
        if had <= ZERO and self._open is not None:
            at = self.first[lot]
            insort(self._open, (at.at, at.event_id, at.seq, lot))

    def reorder(self) -> None:
        """``free`` or ``first`` were changed directly: rebuild the lot order when needed."""
        self._open = None

    def use(self, usage: Usage) -> None:
        """A usage happened: draw what the lots can give now, keep the rest pending."""
        usage_id = usage.usage_id
        self.pending[usage_id] = usage.qty
        if usage.serials:
            self.pending_serials[usage_id] = list(usage.serials)
        self._serve(usage_id, None)
        if self._rows:
            self.end_step(usage.at)

    def fill_pending(self, lots: set[str], at: Moment) -> None:
        """Pending usages, oldest first, draw from ``lots`` (which just gained quantity)."""
        if self.pending:
            usages = self.usages
            for usage_id in sorted(self.pending, key=lambda u: _moment_key(usages[u].at)):
                self._serve(usage_id, lots)
        self.end_step(at)

    def end_step(self, at: Moment) -> None:
        """Turn what the step drew into allocation rows (one per usage and lot)."""
        rows = self._rows
        if not rows:
            return
        drawn = sorted(rows.items()) if len(rows) > 1 else list(rows.items())
        append, pieces, usage_pieces = self.allocations.append, self.pieces, self.usage_pieces
        for (usage_id, lot), (drawn_qty, serials) in drawn:
            qty = shared_decimal(drawn_qty)
            append(Allocation(at, usage_id, lot, qty, tuple(serials)))
            piece = (at, usage_id, lot)
            pieces[piece] = qty  # as hold() does, inlined: one row per usage and lot drawn
            if serials:
                self.piece_serials[piece] = list(serials)
            held = usage_pieces.get(usage_id)  # _index(piece), inlined
            if held is None:
                usage_pieces[usage_id] = [piece]
            elif piece not in held:
                held.append(piece)
        rows.clear()

    def newest_first(self, pieces: Iterable[Piece]) -> list[Piece]:
        """``pieces`` most recently allocated first: later step first; within one step, the
        reverse of the order the step drew in (later usage, then later lot in method order).
        """
        ordered = sorted(pieces, key=lambda p: (self.first[p[2]], p[2]))
        if self.method is _FIFO:
            ordered.reverse()
        return sorted(ordered, key=lambda p: (p[0], self.usages[p[1]].at), reverse=True)

    def _serve(self, usage_id: str, lots: set[str] | None) -> None:  # noqa: PLR0912 - hot, _take inlined
        free = self.free
        if self.pending_serials.get(usage_id):
            self._serve_serials(usage_id, lots)
        generic = self.pending.get(usage_id, ZERO) - len(self.pending_serials.get(usage_id, ()))
        if generic <= ZERO:
            return
        # the open lots it may draw from, in method order (most usages stop at the first)
        found: Iterable[tuple[datetime, str, str, str]]
        if lots is not None:
            first = self.first
            found = sorted(_place(first[lot], lot) for lot in lots if free.get(lot, ZERO))
            if self.method is _LIFO:
                found.reverse()
        else:
            if self._open is None:
                first = self.first
                self._open = sorted(_place(first[lot], lot) for lot in free)
            # walked in place, not copied: the lots it uses up leave _open after the walk
            found = reversed(self._open) if self.method is _LIFO else self._open
        used_up: list[tuple[datetime, str, str, str]] = []
        mfr_lot = self.usages[usage_id].mfr_lot
        mfr, pending, rows = self.mfr, self.pending, self._rows
        for entry in found:
            lot = entry[3]
            if mfr_lot is not None and mfr.get(lot) != mfr_lot:
                continue
            have = free[lot]
            take = have if have < generic else generic  # min(generic, have), exactly
            # _take(usage_id, lot, take, None), inlined
            rest = have - take
            if rest <= ZERO:
                del free[lot]
                used_up.append(entry)  # its place: (first availability, lot)
            else:
                free[lot] = rest
            left = pending[usage_id] - take
            if left > ZERO:
                pending[usage_id] = left
            else:
                del pending[usage_id]
                self.pending_serials.pop(usage_id, None)
            row = rows.get((usage_id, lot))
            if row is None:
                rows[usage_id, lot] = (ZERO + take, [])
            else:
                rows[usage_id, lot] = (row[0] + take, [*row[1]])
            generic -= take
            if generic <= ZERO:
                break
        if used_up and self._open is not None:
            for place in used_up:
                del self._open[bisect_left(self._open, place)]

    def _serve_serials(self, usage_id: str, lots: set[str] | None) -> None:
        free = self.free
        for serial in list(self.pending_serials[usage_id]):
            lot = self.holders.get(serial)
            if lot is not None and (lots is None or lot in lots) and free.get(lot, ZERO):
                self.pending_serials[usage_id].remove(serial)
                del self.holders[serial]
                self._take(usage_id, lot, Decimal(1), serial)

    def _take(self, usage_id: str, lot: str, qty: Decimal, serial: str | None) -> None:
        free = self.free
        left_free = free[lot] - qty
        if left_free <= ZERO:
            del free[lot]
            if self._open is not None:
                del self._open[bisect_left(self._open, _place(self.first[lot], lot))]
        else:
            free[lot] = left_free
        pending = self.pending
        left = pending[usage_id] - qty
        if left > ZERO:
            pending[usage_id] = left
        else:
            del pending[usage_id]
            self.pending_serials.pop(usage_id, None)
        key = (usage_id, lot)
        row = self._rows.get(key)
        if row is None:
            self._rows[key] = (ZERO + qty, [serial] if serial else [])
        else:
            self._rows[key] = (row[0] + qty, [*row[1], serial] if serial else [*row[1]])
