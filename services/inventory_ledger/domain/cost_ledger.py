"""The incremental cost fold: per-event work bounded by what the event touches.

:class:`CostLedger` is the working copy :func:`~.cost_books.replay_costs` folds a stream
into, and the shape of what the store does per event: it keeps one
:class:`~.item_ledger.ItemLedger` per item (facts, rows, the allocation state at the end of
the item's history) and one :class:`~.cost_graph.CostGraph` (costs, COGS, journal). For an
event it checks the rules against the items' indexes, records each item's facts (the
append-only fast path, or a rewind to the backdated moment), marks what changed for costing
and settles it; the :class:`~.cost_books.CostChanges` are exactly those of
:func:`~.cost_books.apply_cost`, the reference, and :meth:`CostLedger.books` equals the
reference's books (both checked after every event by a property test).

It is mutable on purpose (copying the books per event would cost their size); like
``replay`` it hands out immutable values only: the changes, and the books on request.

**Batch mode** (:meth:`CostLedger.begin_batch` ... :meth:`CostLedger.end_batch`): events
that arrive far from business-time order each re-allocate their item's tail and re-cost what
that reaches, so per event the work grows with the history. In a batch, ``apply`` still
checks every rule and records the facts at once (a violation raises before anything
changes, as outside a batch: the rules read facts only — serial moves, known mfr lots —
never allocation rows or costs, which a batch leaves stale until it ends), but a backdated
item is re-allocated once at ``end_batch`` from its earliest touched point
(``ItemLedger.flush``) and the cost graph is settled once for the whole batch. The books
after ``end_batch`` equal those of applying the same events one at a time; the COGS journal
is cut differently (one settle: at most one entry per usage, lot and cause for the batch)
with the same Σ per (usage, lot) pair (see :meth:`CostLedger.end_batch`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from .allocation import CostingMethod
from .cogs import CogsEntry, posted_of
from .cost_books import CostBooks, CostChanges, valuation
from .cost_facts import CostFacts, ItemFacts
from .cost_graph import CostGraph
from .cost_spill import CostSpill
from .cost_translation import NOTHING_TO_COST, facts_of
from .costing import LotCost
from .events import Event
from .item import ZERO, ItemKey
from .item_ledger import ItemLedger
from .lot import CostStatus, LotKind, LotRecord
from .moment import Moment
from .serials import SerialMove, check_lines, check_serials
from .usage import UsageRecord
from .validation import validate

__all__ = ["CostLedger", "HistoryNeeded"]


class HistoryNeeded(RuntimeError):  # noqa: N818 - a request, not a failure of the event
    """An event reaches into history :meth:`CostLedger.compact` dropped (nothing changed).

    ``items``: restore each (:meth:`CostLedger.restore`) and apply the event again.
    """

    def __init__(self, items: frozenset[ItemKey]) -> None:
        super().__init__(f"the history of {sorted(items)} is needed")
        self.items = items


_NONE: Mapping[Any, Any] = MappingProxyType({})
_UNCOSTED = LotCost(ZERO, CostStatus.ESTIMATED)


@dataclass(slots=True)
class _Batch:
    """An open batch: the items whose re-allocation waits, and what was applied."""

    deferred: set[tuple[str, str]] = field(default_factory=set)
    """Items (as (lic, location)) with steps inserted but not yet re-allocated."""
    reallocated: dict[ItemKey, Moment] = field(default_factory=dict)
    """Items re-allocated at once (the append-only path), from their earliest point."""
    event_id: str | None = None
    """The last event applied in the batch: the id its journal entries carry."""
    occurred_at: datetime | None = None
    """The latest ``occurred_at`` among the events applied: the entries' moment."""
    events: list[Event] = field(default_factory=list)
    """The events applied, in order (a restored item re-applies its own)."""
    items: dict[str, tuple[ItemKey, ...]] = field(default_factory=dict)
    """Event id -> the items its facts touched (the store indexes its log by item)."""

    def applied(
        self, event: Event, reallocated: Mapping[ItemKey, Moment], items: Iterable[ItemKey] = ()
    ) -> None:
        """One more event was applied (not rejected, not a duplicate)."""
        self.events.append(event)
        event_id, occurred_at = event.event_id, event.occurred_at
        if items:
            self.items[event_id] = tuple(items)
        self.event_id = event_id
        if self.occurred_at is None or occurred_at > self.occurred_at:
            self.occurred_at = occurred_at
        for item, since in reallocated.items():
            old = self.reallocated.get(item)
            if old is None or since < old:
                self.reallocated[item] = since


def _by_item(pair: tuple[ItemKey, ItemFacts]) -> tuple[str, str]:
    """Items in :class:`ItemKey` order (lic, location), as plain tuples."""
    return (pair[0].lic, pair[0].location)


@dataclass(slots=True)
class CostLedger:
    """Items, the cost graph, and which events were applied or rejected."""

    methods: Mapping[ItemKey, CostingMethod] = field(default_factory=dict)
    mfr_tracked: frozenset[ItemKey] | None = None
    items: dict[ItemKey, ItemLedger] = field(default_factory=dict)
    graph: CostGraph = field(default_factory=CostGraph)
    spill: CostSpill | None = None
    """The graph's spill, if its cold entries live outside memory (``cost_spill``)."""
    processed: set[str] = field(default_factory=set)
    rejected: dict[str, str] = field(default_factory=dict)
    dirty_lots: set[str] = field(default_factory=set)
    """Lots whose record (quantity, allocation, cost) may have changed since the last
    :meth:`take_dirty`; a store rewrites exactly these."""
    dirty_usages: set[str] = field(default_factory=set)
    """Usages whose record (allocation, give-backs, COGS, allocation rows) may have changed."""
    _ledgers: dict[tuple[str, str], ItemLedger] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    """``items`` by (lic, location): a plain tuple hashes in C, an ItemKey in Python."""
    _batch: _Batch | None = field(default=None, init=False, repr=False, compare=False)
    """The open batch (``None``: every event is settled as it is applied)."""
    _compacted: bool = field(default=False, init=False, repr=False, compare=False)
    """Whether :meth:`compact` ever dropped history (else no event can reach back)."""
    _facts: dict[str, tuple[Event, CostFacts]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    """Facts :meth:`needs_history` translated, for :meth:`apply` to take instead of
    translating the event again (cleared when a batch ends)."""

    def begin_batch(self) -> None:
        """Defer re-allocating backdated items and settling costs until :meth:`end_batch`."""
        if self._batch is not None:
            raise RuntimeError("a cost batch is already open")
        self._batch = _Batch()

    def end_batch(self) -> CostChanges:
        """Re-allocate each deferred item once, settle once; what the whole batch changed.

        ``reallocated`` holds every item the batch re-allocated, from its earliest point;
        ``revalued`` and ``cogs`` are those of the one settle. The journal entries carry the
        id of the batch's last event applied (in apply order) and the latest ``occurred_at``
        among its applied events: the batch's events caused them together, so no one event's
        id would be truer. Their sum per (usage, lot) pair equals that of applying the events
        one at a time: a pair's entries add up to its value now less its value before the
        batch, whatever happened in between. A batch that applied nothing changes nothing.
        """
        batch = self._batch
        if batch is None:
            raise RuntimeError("no cost batch is open")
        self._batch = None
        self._facts.clear()
        reallocated = batch.reallocated
        for key in sorted(batch.deferred):
            ledger = self._ledgers[key]
            since, changed, restocked = ledger.flush()
            if since is not None:
                self._mark_rows(ledger, changed, restocked)
                old = reallocated.get(ledger.item)
                if old is None or since < old:
                    reallocated[ledger.item] = since
        if batch.event_id is None or batch.occurred_at is None:
            return CostChanges("", _NONE, _NONE, ())
        revalued, entries = self.graph.settle(batch.event_id, batch.occurred_at)
        if revalued or entries:
            self._mark_settled(revalued, entries)
        return CostChanges(
            batch.event_id,
            MappingProxyType(reallocated) if reallocated else _NONE,
            MappingProxyType(revalued) if revalued else _NONE,
            tuple(entries),
        )

    def batch_items(self) -> Mapping[str, tuple[ItemKey, ...]]:
        """Per event applied in the open batch, the items its facts touched."""
        batch = self._batch
        if batch is None:
            raise RuntimeError("no cost batch is open")
        return batch.items

    def drop_batch(self) -> None:
        """Forget an open batch without ending it (the books are being thrown away)."""
        self._batch = None
        self._facts.clear()

    def apply(
        self, event: Event, *, serials_checked: bool = False, validated: bool = False
    ) -> CostChanges:
        """Apply ``event``; raise if it breaks a business rule (nothing changes then).

        ``serials_checked``: the caller checked the serial rules already (``apply_together``);
        ``validated``: the caller ran ``validation.validate`` on it already (the quantity
        posting does, just before the cost side), so it is not run twice.
        """
        event_id = event.event_id
        if event_id in self.processed or event_id in self.rejected:
            return CostChanges(event_id, _NONE, _NONE, ())
        if not validated:
            validate(event)
        if type(event) in NOTHING_TO_COST:
            return self._nothing_to_cost(event)  # orders, PO closes
        cached = self._facts.pop(event_id, None)
        facts = cached[1] if cached is not None and cached[0] is event else facts_of(event)
        items = facts.items
        if not (items or facts.estimates or facts.bill or facts.close):
            return self._nothing_to_cost(event)
        touched = sorted(items.items(), key=_by_item) if len(items) > 1 else items.items()
        if self._compacted:
            self._within_history(touched)
        for item, item_facts in touched:
            if item_facts.returns or item_facts.serial_moves:  # else no rule to break
                self._check(item, item_facts, serials=not serials_checked)
        reallocated: dict[ItemKey, Moment] = {}
        batch = self._batch
        for item, item_facts in touched:
            since = self._record(item, item_facts, batch)
            if since is not None:
                reallocated[item] = since
        if facts.estimates or facts.bill is not None or facts.close is not None:
            self._mark_inputs(facts)
        if batch is not None:  # re-costed once, by end_batch
            batch.applied(event, reallocated, items)
            self.processed.add(event_id)
            return CostChanges(
                event_id, MappingProxyType(reallocated) if reallocated else _NONE, _NONE, ()
            )
        revalued, entries = self.graph.settle(event_id, event.occurred_at)
        if revalued or entries:
            self._mark_settled(revalued, entries)
        self.processed.add(event_id)
        return CostChanges(
            event_id,
            MappingProxyType(reallocated) if reallocated else _NONE,
            MappingProxyType(revalued) if revalued else _NONE,
            tuple(entries),
        )

    def compact(self, keep: int) -> int:
        """Drop each item's history before its last ``keep`` steps; how many items dropped any.

        Between batches only. The books then stay exact for every event that does not reach
        back into what was dropped (``ItemLedger.compact``); one that does raises
        :class:`HistoryNeeded` from :meth:`apply` before changing anything.
        """
        if self._batch is not None:
            raise RuntimeError("compact between batches")
        compacted = sum(ledger.compact(keep) for ledger in self.items.values())
        self._compacted = self._compacted or compacted > 0
        return compacted

    def needs_history(self, events: Iterable[Event]) -> frozenset[ItemKey]:
        """The items to restore before applying ``events`` (a batch's, in any order).

        Applying them, in whatever order and whichever of them are rejected, then never
        raises :class:`HistoryNeeded`.
        """
        if not self._compacted:
            return frozenset()
        per_item: dict[ItemKey, list[ItemFacts]] = {}
        translated = self._facts
        for event in events:
            if type(event) not in NOTHING_TO_COST:
                cached = translated.get(event.event_id)
                if cached is None or cached[0] is not event:
                    cached = translated[event.event_id] = (event, facts_of(event))
                for item, item_facts in cached[1].items.items():
                    per_item.setdefault(item, []).append(item_facts)
        return self._reaching_back(per_item.items())

    def _reaching_back(
        self, per_item: Iterable[tuple[ItemKey, Sequence[ItemFacts]]]
    ) -> frozenset[ItemKey]:
        """The items whose dropped history these facts may reach (one event's: exactly)."""
        items = self.items
        return frozenset(
            item
            for item, facts in per_item
            if (ledger := items.get(item)) is not None
            and ledger.floor is not None
            and ledger.may_reach_back(facts)
        )

    def _within_history(self, touched: Iterable[tuple[ItemKey, ItemFacts]]) -> None:
        """Raise :class:`HistoryNeeded` if the facts reach into dropped history."""
        needed = self._reaching_back((item, (item_facts,)) for item, item_facts in touched)
        if needed:
            raise HistoryNeeded(needed)

    def restore(self, item: ItemKey, history: Iterable[Event]) -> None:
        """Make ``item``'s history whole again from ``history``.

        ``history``: the events applied to these books before the open batch (all of them
        outside a batch) that touch the item, in the order they were applied; the open
        batch's own are re-applied after them. The item's rows come out as they were (an
        item's allocation does not depend on the order its facts arrived in), so nothing is
        marked changed.
        """
        ledger = self._new_ledger(item)
        for event in history:
            item_facts = facts_of(event).items.get(item)
            if item_facts is not None:
                ledger.apply(item_facts, defer=True)
        ledger.flush()
        batch = self._batch
        if batch is not None:
            for event in batch.events:
                item_facts = facts_of(event).items.get(item)
                if item_facts is not None:
                    ledger.apply(item_facts, defer=True)
            if ledger.pending is not None:
                batch.deferred.add((item.lic, item.location))
        self.items[item] = ledger
        self._ledgers[(item.lic, item.location)] = ledger

    def _nothing_to_cost(self, event: Event) -> CostChanges:
        """An event with nothing to cost is applied all the same (and counts in a batch)."""
        self.processed.add(event.event_id)
        if self._batch is not None:
            self._batch.applied(event, _NONE)
        return CostChanges(event.event_id, _NONE, _NONE, ())

    def _mark_settled(self, revalued: Mapping[str, LotCost], entries: list[CogsEntry]) -> None:
        """Re-costed lots and their usages, and usages with journal entries, are dirty."""
        dirty_usages = self.dirty_usages
        if revalued:
            self.dirty_lots.update(revalued)
            users = self.graph.users
            for lot_id in revalued:
                dirty_usages.update(users.get(lot_id, ()))
        for entry in entries:
            dirty_usages.add(entry.usage_id)

    def _mark_inputs(self, facts: CostFacts) -> None:
        """The event's cross-item cost inputs: PO line estimates, a bill, a job close."""
        graph = self.graph
        for key, value in facts.estimates.items():
            graph.estimate(key, facts.at, value)
        if facts.bill is not None:
            graph.bill(facts.bill)
        if facts.close is not None:
            document, extra = facts.close
            graph.close(document, facts.at, extra)

    def _record(self, item: ItemKey, item_facts: ItemFacts, batch: _Batch | None) -> Moment | None:
        """Record one item's facts and mark what changed, in the graph and for the store.

        In a batch a backdated item only records its facts (``ItemLedger.apply`` with
        ``defer``) and is remembered: :meth:`end_batch` re-allocates it and marks its rows.
        """
        graph = self.graph
        key = (item.lic, item.location)
        ledger = self._ledgers.get(key)
        if ledger is None:
            ledger = self.items.get(item) or self._open(item)
            self._ledgers[key] = ledger
        if batch is None:
            since, changed, restocked = ledger.apply(item_facts)
        else:
            since, changed, restocked = ledger.apply(item_facts, defer=True)
            if ledger.pending is not None:
                batch.deferred.add(key)
        dirty_lots, dirty_usages = self.dirty_lots, self.dirty_usages
        if len(item_facts.lots) == 1:
            lot_id = item_facts.lots[0].lot_id
            graph.add_lot(ledger.lots[lot_id])
            dirty_lots.add(lot_id)
        elif item_facts.lots:
            lot_ids = [lot.lot_id for lot in item_facts.lots]
            for lot_id in dict.fromkeys(lot_ids):
                graph.add_lot(ledger.lots[lot_id])
            dirty_lots.update(lot_ids)
        for usage in item_facts.usages:
            graph.add_usage(usage)
            dirty_usages.add(usage.usage_id)
        if changed or restocked:
            self._mark_rows(ledger, changed, restocked)
        return since

    def _mark_rows(self, ledger: ItemLedger, changed: set[str], restocked: set[str]) -> None:
        """Usages whose rows changed: their new net allocation; restocked lots: their qty."""
        graph = self.graph
        dirty_lots, dirty_usages = self.dirty_lots, self.dirty_usages
        if changed:
            net_of = graph.net
            for usage_id in sorted(changed) if len(changed) > 1 else changed:
                old = net_of.get(usage_id)
                if old:
                    dirty_lots.update(old)
                net = ledger.net(usage_id)
                graph.set_net(usage_id, net)
                if net:
                    dirty_lots.update(net)
            dirty_usages.update(changed)
        if restocked:
            for lot_id in sorted(restocked):
                graph.set_restocked(lot_id, ledger.restocked[lot_id])
            dirty_lots.update(restocked)

    def take_dirty(self) -> tuple[frozenset[str], frozenset[str]]:
        """The lots and usages marked since the last call (and clear the marks)."""
        lots, usages = frozenset(self.dirty_lots), frozenset(self.dirty_usages)
        self.dirty_lots.clear()
        self.dirty_usages.clear()
        return lots, usages

    def lot_record(self, lot_id: str) -> LotRecord | None:
        """The lot as the queries show it (``None``: unknown, or a return lot given back whole)."""
        graph = self.graph
        lot = graph.lots.get(lot_id)
        if lot is None:
            return None
        qty = graph.qty.get(lot_id, ZERO)
        if lot.kind is LotKind.RETURN and qty == ZERO:
            return None
        allocated = graph.allocated.get(lot_id, ZERO)
        cost = graph.costs.get(lot_id, _UNCOSTED)
        return LotRecord(lot, qty, allocated, cost.unit_cost, cost.status)

    def usage_record(self, usage_id: str) -> UsageRecord | None:
        """The usage as the queries show it (``None``: unknown)."""
        graph = self.graph
        usage = graph.usages.get(usage_id)
        if usage is None:
            return None
        returned = self.items[usage.item].returned.get(usage_id, ())
        given_back = sum((g.qty for g in returned), ZERO)
        allocated = sum(graph.net.get(usage_id, {}).values(), ZERO)
        return UsageRecord(usage, given_back, allocated, graph.cogs.get(usage_id, ZERO))

    def allocation_rows(self, usage_id: str) -> tuple[tuple[str, Decimal, Decimal], ...]:
        """The usage's net allocation: (lot id, qty, the lot's unit cost), by lot id."""
        graph = self.graph
        net = graph.net.get(usage_id, {})
        return tuple(
            (lot_id, qty, graph.costs.get(lot_id, _UNCOSTED).unit_cost)
            for lot_id, qty in sorted(net.items())
            if qty != ZERO
        )

    def reject(self, event_id: str, reason: str) -> None:
        """Remember a rejected event (a replay of it changes nothing)."""
        self.rejected[event_id] = reason

    def books(self) -> CostBooks:
        """The immutable books (equal to the reference fold's on the same events).

        Raise if an item's history was dropped (:meth:`compact`; :meth:`restore` it first).
        """
        if any(ledger.floor is not None for ledger in self.items.values()):
            raise RuntimeError("an item's history was dropped: restore it first")
        if self.spill is not None:
            self.spill.unspill()  # whole-map reads follow
        graph = self.graph
        valued = valuation(graph.inputs, graph.costs)  # derived, as the reference's is
        return CostBooks(
            items=MappingProxyType({key: ledger.book() for key, ledger in self.items.items()}),
            methods=MappingProxyType(dict(self.methods)),
            estimates=MappingProxyType(dict(graph.estimates)),
            bills=MappingProxyType(dict(graph.bills)),
            closes=MappingProxyType(dict(graph.closes)),
            costs=MappingProxyType(dict(graph.costs)),
            cogs=MappingProxyType(dict(graph.cogs)),
            posted=MappingProxyType(posted_of(valued)),
            valued=MappingProxyType(valued),
            processed=frozenset(self.processed),
            rejected=MappingProxyType(dict(self.rejected)),
            mfr_tracked=self.mfr_tracked,
        )

    def apply_together(
        self, events: Sequence[Event], *, validated: bool = False
    ) -> list[CostChanges]:
        """Apply events whose serial stories hold together though not one at a time.

        Shipped before its receipt arrived, returned before its shipment arrived: pieces of
        one serial's story can each be refused alone (the story breaks at every prefix) and
        still be valid as a whole. The serial rules are checked on the union of the events'
        moves with the known ones; if that holds, each event is applied in business-time
        order. Raise if it does not (nothing changes then). ``validated``: as for :meth:`apply`.
        """
        ordered = sorted(events, key=lambda e: (e.occurred_at, e.event_id))
        if self._compacted:
            self._within_history(
                pair
                for event in ordered
                if type(event) not in NOTHING_TO_COST
                for pair in facts_of(event).items.items()
            )
        moves: dict[ItemKey, list[SerialMove]] = {}
        for event in ordered:
            if not validated:
                validate(event)
            for item, item_facts in facts_of(event).items.items():
                self._check(item, item_facts, serials=False)
                moves.setdefault(item, []).extend(item_facts.serial_moves)
        for item, added in sorted(moves.items()):
            if added:
                ledger = self.items.get(item)
                named = {move.serial for move in added}
                check_serials(item, ledger.known_moves(named) if ledger else [], added)
        return [self.apply(event, serials_checked=True, validated=True) for event in ordered]

    def _check(self, item: ItemKey, facts: ItemFacts, *, serials: bool = True) -> None:
        """The serial and mfr-lot rules (only lines with serials, and returns, can break them)."""
        if not facts.returns and not facts.serial_moves:
            return  # no serials, no return: no rule to break (apply checks this first)
        ledger = self.items.get(item)
        lines = [(u.qty, u.serials, u.mfr_lot, False) for u in facts.usages if u.serials]
        lines += [(s.qty, s.serials, None, False) for s in facts.supplies if s.serials]
        lines += [(r.qty, r.serials, r.mfr_lot, True) for r in facts.returns]
        if lines:
            tracked = ledger is not None and ledger.has_mfr_lots
            if self.mfr_tracked is not None:
                tracked = item in self.mfr_tracked
            check_lines(item, lines, {}, tracked)
        if serials and facts.serial_moves:
            named = {move.serial for move in facts.serial_moves}
            known = ledger.known_moves(named) if ledger is not None else []
            check_serials(item, known, facts.serial_moves)

    def _new_ledger(self, item: ItemKey) -> ItemLedger:
        method = self.methods.get(item, CostingMethod.FIFO)
        maps = self.spill.item_maps(item) if self.spill is not None else None
        if maps is None:
            return ItemLedger(item, method)
        return ItemLedger(
            item,
            method,
            lots=maps.lots,
            usages=maps.usages,
            mfr=maps.mfr,
            documents=maps.documents,
            serial_moves=maps.serial_moves,
            first=maps.first,
        )

    def _open(self, item: ItemKey) -> ItemLedger:
        ledger = self._new_ledger(item)
        self.items[item] = ledger
        return ledger
