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
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from .allocation import CostingMethod
from .cost_books import CostBooks, CostChanges
from .cost_facts import ItemFacts
from .cost_graph import CostGraph
from .cost_translation import facts_of
from .events import Event
from .item import ItemKey
from .item_ledger import ItemLedger
from .moment import Moment
from .serials import check_lines, check_serials
from .validation import validate

__all__ = ["CostLedger"]

_NONE: Mapping[Any, Any] = MappingProxyType({})


@dataclass(slots=True)
class CostLedger:
    """Items, the cost graph, and which events were applied or rejected."""

    methods: Mapping[ItemKey, CostingMethod] = field(default_factory=dict)
    mfr_tracked: frozenset[ItemKey] | None = None
    items: dict[ItemKey, ItemLedger] = field(default_factory=dict)
    graph: CostGraph = field(default_factory=CostGraph)
    processed: set[str] = field(default_factory=set)
    rejected: dict[str, str] = field(default_factory=dict)

    def apply(self, event: Event) -> CostChanges:
        """Apply ``event``; raise if it breaks a business rule (nothing changes then)."""
        if event.event_id in self.processed or event.event_id in self.rejected:
            return CostChanges(event.event_id)
        validate(event)
        facts = facts_of(event)
        if not (facts.items or facts.estimates or facts.bill or facts.close):
            self.processed.add(event.event_id)  # orders, PO closes: nothing to cost
            return CostChanges(event.event_id)
        touched = sorted(facts.items.items()) if len(facts.items) > 1 else facts.items.items()
        for item, item_facts in touched:
            self._check(item, item_facts)
        reallocated: dict[ItemKey, Moment] = {}
        graph = self.graph
        for item, item_facts in touched:
            ledger = self.items.get(item) or self._open(item)
            change = ledger.record(item_facts)
            if change.since is not None:
                reallocated[item] = change.since
            lot_ids = [lot.lot_id for lot in item_facts.lots]
            for lot_id in dict.fromkeys(lot_ids) if len(lot_ids) > 1 else lot_ids:
                graph.add_lot(ledger.lots[lot_id])
            for usage in item_facts.usages:
                graph.add_usage(usage)
            for usage_id in sorted(change.usages):
                graph.set_net(usage_id, ledger.net(usage_id))
            for lot_id in sorted(change.restocked):
                graph.set_restocked(lot_id, ledger.restocked[lot_id])
        for key, value in facts.estimates.items():
            graph.estimate(key, facts.at, value)
        if facts.bill is not None:
            graph.bill(facts.bill)
        if facts.close is not None:
            document, extra = facts.close
            graph.close(document, facts.at, extra)
        revalued, entries = graph.settle(event.event_id, event.occurred_at)
        self.processed.add(event.event_id)
        return CostChanges(
            event.event_id,
            MappingProxyType(reallocated) if reallocated else _NONE,
            MappingProxyType(revalued) if revalued else _NONE,
            tuple(entries),
        )

    def reject(self, event_id: str, reason: str) -> None:
        """Remember a rejected event (a replay of it changes nothing)."""
        self.rejected[event_id] = reason

    def books(self) -> CostBooks:
        """The immutable books (equal to the reference fold's on the same events)."""
        graph = self.graph
        return CostBooks(
            items=MappingProxyType({key: ledger.book() for key, ledger in self.items.items()}),
            methods=MappingProxyType(dict(self.methods)),
            estimates=MappingProxyType(dict(graph.estimates)),
            bills=MappingProxyType(dict(graph.bills)),
            closes=MappingProxyType(dict(graph.closes)),
            costs=MappingProxyType(dict(graph.costs)),
            cogs=MappingProxyType(dict(graph.cogs)),
            posted=MappingProxyType(dict(graph.posted)),
            valued=MappingProxyType(dict(graph.valued)),
            processed=frozenset(self.processed),
            rejected=MappingProxyType(dict(self.rejected)),
            mfr_tracked=self.mfr_tracked,
        )

    def _check(self, item: ItemKey, facts: ItemFacts) -> None:
        """The serial and mfr-lot rules (only lines with serials, and returns, can break them)."""
        if not facts.returns and not facts.serial_moves:
            return  # no serials, no return: no rule to break
        ledger = self.items.get(item)
        lines = [(u.qty, u.serials, u.mfr_lot, False) for u in facts.usages if u.serials]
        lines += [(s.qty, s.serials, None, False) for s in facts.supplies if s.serials]
        lines += [(r.qty, r.serials, r.mfr_lot, True) for r in facts.returns]
        if lines:
            tracked = ledger is not None and ledger.has_mfr_lots
            if self.mfr_tracked is not None:
                tracked = item in self.mfr_tracked
            check_lines(item, lines, {}, tracked)
        if facts.serial_moves:
            named = {move.serial for move in facts.serial_moves}
            known = ledger.known_moves(named) if ledger is not None else []
            check_serials(item, known, facts.serial_moves)

    def _open(self, item: ItemKey) -> ItemLedger:
        ledger = ItemLedger(item, self.methods.get(item, CostingMethod.FIFO))
        self.items[item] = ledger
        return ledger
