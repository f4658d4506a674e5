"""The COGS journal: what each event changed in each usage's cost of goods, and why.

COGS itself is derived (Σ net allocation * current unit cost); the journal records its
*changes* so downstream accounting sees every movement: an allocation (units drawn, given
back) or a revaluation (a lot already used was re-costed: bill, job close, cost flowing in).
Like the quantity ledger, only differences are posted, so Σ entries per (usage, lot) equals
the current COGS of that pair whatever the arrival order (checked by reconciliation).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from .frozen import fast_init
from .item import ZERO
from .sharing import shared_decimal

__all__ = ["CogsCause", "CogsEntry", "Valuation", "accumulate", "journal", "journal_entries"]

Valuation = Mapping[tuple[str, str], tuple[Decimal, Decimal]]
"""(usage id, lot id) → (net allocated qty, lot unit cost)."""


class CogsCause(StrEnum):
    """Why a COGS amount changed."""

    ALLOCATION = "allocation"
    REVALUATION = "revaluation"


@fast_init
@dataclass(frozen=True, slots=True)
class CogsEntry:
    """``amount`` added to the COGS of ``usage_id`` for goods of ``lot_id`` by ``event_id``.

    A revaluation is the COGS adjustment of issue 6: old quantity * (new - old unit cost);
    an allocation is the change of quantity * the new unit cost. Invariant: ``amount != 0``.
    """

    usage_id: str
    lot_id: str
    amount: Decimal
    cause: CogsCause
    event_id: str
    occurred_at: datetime


_REVALUATION, _ALLOCATION = CogsCause.REVALUATION, CogsCause.ALLOCATION


def journal(
    before: Valuation, after: Valuation, event_id: str, occurred_at: datetime
) -> Iterator[CogsEntry]:
    """The entries that take the COGS of every (usage, lot) from ``before`` to ``after``."""
    yield from journal_entries(before, after, event_id, occurred_at)


def journal_entries(
    before: Valuation, after: Valuation, event_id: str, occurred_at: datetime
) -> list[CogsEntry]:
    """:func:`journal` as a list."""
    keys = before.keys() | after.keys()
    entries: list[CogsEntry] = []
    for key in sorted(keys) if len(keys) > 1 else keys:
        # a pair that appears or vanishes keeps its one known cost: a pure allocation move
        new, old = after.get(key), before.get(key)
        known = new or before[key]
        old_qty, old_cost = (ZERO, known[1]) if old is None else old
        new_qty, new_cost = (ZERO, known[1]) if new is None else new
        revalued = old_qty * (new_cost - old_cost)
        moved = (new_qty - old_qty) * new_cost
        if revalued != ZERO:
            entries.append(CogsEntry(key[0], key[1], revalued, _REVALUATION, event_id, occurred_at))
        if moved != ZERO:
            entries.append(CogsEntry(key[0], key[1], moved, _ALLOCATION, event_id, occurred_at))
    return entries


def accumulate(posted: dict[tuple[str, str], Decimal], entries: Iterable[CogsEntry]) -> None:
    """Add ``entries`` to the posted sums per (usage, lot); a sum back at zero is dropped
    (fully reversed: as if never posted, whatever the order)."""
    for entry in entries:
        key = (entry.usage_id, entry.lot_id)
        total = posted.get(key, ZERO) + entry.amount
        if total == ZERO:
            posted.pop(key, None)
        else:
            posted[key] = shared_decimal(total)


def posted_of(
    valued: Mapping[tuple[str, str], tuple[Decimal, Decimal]],
) -> dict[tuple[str, str], Decimal]:
    """The posted sums per (usage, lot) of a journal that valued every pair as ``valued``.

    A pair's entries telescope: each allocation move adds (new qty - old qty) x new cost and
    each revaluation old qty x (new cost - old cost), so they add up to its qty x unit cost
    now, exactly (Decimal products and sums of these sizes are exact); a pair whose value is
    zero has none left (:func:`accumulate` drops a sum back at zero). So the incremental
    books keep the valuation only, not the sums as well.
    """
    posted: dict[tuple[str, str], Decimal] = {}
    for key, (qty, unit) in valued.items():
        value = qty * unit
        if value != ZERO:
            posted[key] = value
    return posted
