"""Resuming an item from its checkpoint gives the rows and the state of the in-memory fold.

For every event of random streams whose steps all follow the item's history, the store's
path is played: the item's :class:`ItemCheckpoint` (plain values only) plus what the event
names (its own steps and lots; for a give-back, the original shipment's rows) are turned
back into a state, the event's steps are resumed on it, and the rows and the new checkpoint
must equal those of the incremental fold.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inventory_ledger.domain.allocation import CostingMethod, Step
from inventory_ledger.domain.cost_checkpoint import (
    ItemCheckpoint,
    OpenLot,
    PendingUsage,
    checkpoint_of,
    restore,
)
from inventory_ledger.domain.cost_ledger import CostLedger
from inventory_ledger.domain.cost_translation import facts_of
from inventory_ledger.domain.errors import DomainError
from inventory_ledger.domain.events import Event
from inventory_ledger.domain.item import ItemKey
from inventory_ledger.domain.item_ledger import ItemLedger
from inventory_ledger.domain.moment import Moment
from inventory_ledger.domain.reallocation import Allocated, resume
from inventory_ledger.domain.usage import Usage

from .streams import methods, streams
from .support import item

pytestmark = pytest.mark.unit

_PLAIN = (str, Decimal, datetime, bool, type(None))


def _plain(value: object) -> bool:
    if isinstance(value, tuple):
        return all(_plain(v) for v in value)
    if isinstance(value, ItemCheckpoint | OpenLot | PendingUsage):
        return all(_plain(getattr(value, f)) for f in value.__slots__)
    return isinstance(value, _PLAIN)


def _checkpoint(key: ItemKey, ledger: ItemLedger) -> ItemCheckpoint:
    last = ledger.steps[-1].at if ledger.steps else None
    return checkpoint_of(key, ledger.state, last, mfr_lots=ledger.has_mfr_lots)


def _resumed(key: ItemKey, ledger: ItemLedger, event: Event) -> tuple[Allocated, ItemCheckpoint]:
    """What the store does for an event after the item's history, from the checkpoint."""
    checkpoint = _checkpoint(key, ledger)
    assert _plain(checkpoint)
    facts = facts_of(event).items[key]
    steps: list[Step] = [*facts.supplies, *facts.usages, *facts.returns]
    usages: dict[str, Usage] = {u.usage_id: u for u in facts.usages}
    usages.update((p.usage_id, ledger.usages[p.usage_id]) for p in checkpoint.pending)
    originals: dict[str, Allocated] = {}
    for ret in facts.returns:
        for uid in ledger.documents.get(ret.original or "", ()):
            usages[uid] = ledger.usages[uid]
            originals[uid] = (tuple(ledger.drawn.get(uid, ())), tuple(ledger.returned.get(uid, ())))
    drawn_from = {a.lot_id for rows in originals.values() for a in rows[0]}
    mfr = {lot.lot_id: lot.mfr_lot for lot in facts.lots}
    mfr.update((lot, ledger.mfr[lot]) for lot in drawn_from)
    first = {lot: ledger.state.first[lot] for lot in drawn_from}
    for lot in facts.lots:  # a lot's place is its first arrival, even once used up
        known = ledger.lots.get(lot.lot_id)
        at = lot.received_at if known is None or known.received_at is None else known.received_at
        if at is not None:
            first[lot.lot_id] = at
    state = restore(checkpoint, usages, mfr, originals, first)
    rows = resume(state, steps)
    last = max(step.at for step in steps)
    return rows, checkpoint_of(key, state, last, mfr_lots=ledger.has_mfr_lots or any(mfr.values()))


@settings(max_examples=300, deadline=None)
@given(st.data(), methods)
def test_an_item_resumes_from_its_checkpoint(
    data: st.DataObject, chosen: dict[str, CostingMethod]
) -> None:
    events = list(data.draw(st.permutations(data.draw(streams(max_groups=14)))))
    ledger = CostLedger(methods={item(k): m for k, m in chosen.items()})
    for event in events:
        expected: dict[ItemKey, tuple[Allocated, ItemCheckpoint]] = {}
        for key, facts in facts_of(event).items.items():
            book = ledger.items.get(key) or ItemLedger(
                key, ledger.methods.get(key, CostingMethod.FIFO)
            )
            moments = [s.at for s in (*facts.supplies, *facts.usages, *facts.returns)]
            if moments and (not book.steps or min(moments) > book.steps[-1].at):
                expected[key] = _resumed(key, book, event)
        before = {
            key: len(ledger.items[key].allocations) for key in expected if key in ledger.items
        }
        gb_before = {
            key: len(ledger.items[key].givebacks) for key in expected if key in ledger.items
        }
        try:
            ledger.apply(event)
        except DomainError:
            continue
        for key, (rows, checkpoint) in expected.items():
            book = ledger.items[key]
            assert tuple(book.allocations[before.get(key, 0) :]) == rows[0]
            assert tuple(book.givebacks[gb_before.get(key, 0) :]) == rows[1]
            assert _checkpoint(key, book) == checkpoint


def test_a_checkpoint_is_plain_values() -> None:
    at = Moment(datetime(2026, 11, 2, 8, 0).astimezone(), "e1", "1:1")
    checkpoint = ItemCheckpoint(
        "A", "main", "fifo", at.key, (OpenLot("lot", Decimal(3), at.key),),
        (PendingUsage("u", Decimal(1), at.key, None, ("SN1",)),), (("SN2", "lot"),),
    )  # fmt: skip
    assert _plain(checkpoint)
