"""Customer returns: give-back to the original usage's lots, else a ``return`` lot.

A return that names its original shipment is a negative usage (domain.md, "Give-back"). For
each return line, against the original shipment's usages of the same item that happened
before it:

1. named serials go back to the lot each serial was drawn from;
2. otherwise units of those usages that were never allocated are cancelled first, newest
   usage first (no lot
   gave them, so there is nothing to give back — and restoring a lot while the same usage
   still waits would only re-allocate it to itself);
3. then units go back to the lots the usages drew from, most recent allocation first, up to
   what each allocation row still holds — restoring the lot's remaining quantity and
   reversing that COGS;
4. whatever is left (no known original, or more returned than shipped) is restocked into the
   return's own lot, costed at the item's latest unit cost (see ``costing``).

Lots that gained free quantity then serve pending usage, as any supply would.
"""

from __future__ import annotations

from decimal import Decimal

from .allocation import GiveBack, ReturnLine
from .allocation_state import AllocationState, Piece
from .item import ZERO

__all__ = ["give_back"]


def give_back(state: AllocationState, step: ReturnLine) -> None:
    """Process return line ``step`` on ``state`` (rows are appended to ``state.givebacks``)."""
    named = () if step.original is None else state.usages_of(step.original)
    originals = {uid for uid in named if state.usages[uid].at < step.at}
    rows: dict[tuple[str | None, str | None], tuple[Decimal, list[str]]] = {}
    left = step.qty
    restock: list[str] = []
    for serial in step.serials:
        piece = _piece_with_serial(state, originals, serial)
        if piece is None:
            restock.append(serial)
        else:
            _restore(state, piece, Decimal(1), [serial], rows)
        left -= 1
    if not step.serials:
        left = _cancel_pending(state, originals, left, rows)
        for piece in _newest_first(state, originals, step.mfr_lot):
            if left <= ZERO:
                break
            take = min(left, state.pieces[piece])
            _restore(state, piece, take, [], rows)
            left -= take
    if left > ZERO or restock:
        qty = max(left, ZERO) + (Decimal(len(restock)) if step.serials else ZERO)
        state.add_free(step.lot_id, qty, restock, step.at)
        _add(rows, (None, step.lot_id), qty, restock)
    for (usage_id, lot), (qty, serials) in sorted(rows.items(), key=lambda kv: str(kv[0])):
        state.givebacks.append(GiveBack(step.at, usage_id, lot, qty, tuple(serials)))
    gained = {lot for (_, lot) in rows if lot is not None}
    if gained:
        state.fill_pending(gained, step.at)


def _piece_with_serial(state: AllocationState, originals: set[str], serial: str) -> Piece | None:
    holding = [
        piece
        for usage_id in originals
        for piece in state.usage_pieces.get(usage_id, ())
        if serial in state.piece_serials.get(piece, ())
    ]
    return state.newest_first(holding)[0] if holding else None


def _newest_first(state: AllocationState, originals: set[str], mfr_lot: str | None) -> list[Piece]:
    return state.newest_first(
        piece
        for usage_id in originals
        for piece in state.usage_pieces.get(usage_id, ())
        if state.pieces[piece] > ZERO and (mfr_lot is None or state.mfr.get(piece[2]) == mfr_lot)
    )


def _cancel_pending(
    state: AllocationState,
    originals: set[str],
    left: Decimal,
    rows: dict[tuple[str | None, str | None], tuple[Decimal, list[str]]],
) -> Decimal:
    newest = sorted(originals & state.pending.keys(), key=lambda u: state.usages[u].at)[::-1]
    for usage_id in newest:
        take = min(left, state.pending[usage_id])
        if take <= ZERO:
            break
        state.pending[usage_id] -= take
        if state.pending[usage_id] == ZERO:
            del state.pending[usage_id]
        _add(rows, (usage_id, None), take, [])
        left -= take
    return left


def _restore(
    state: AllocationState,
    piece: Piece,
    qty: Decimal,
    serials: list[str],
    rows: dict[tuple[str | None, str | None], tuple[Decimal, list[str]]],
) -> None:
    _, usage_id, lot = piece
    state.pieces[piece] -= qty
    for serial in serials:
        state.piece_serials[piece].remove(serial)
    state.gain(lot, qty)
    state.holders.update(dict.fromkeys(serials, lot))
    _add(rows, (usage_id, lot), qty, serials)


def _add(
    rows: dict[tuple[str | None, str | None], tuple[Decimal, list[str]]],
    key: tuple[str | None, str | None],
    qty: Decimal,
    serials: list[str],
) -> None:
    had, listed = rows.get(key, (ZERO, []))
    rows[key] = (had + qty, [*listed, *serials])
