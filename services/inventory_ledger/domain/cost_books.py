"""The cost books of the whole ledger and the pure fold that keeps them (issue 6).

:func:`apply_cost` takes one event and the books and returns the new books and what changed
(items re-allocated and from which moment, lots re-costed, COGS journal entries). It is the
reference, re-evaluating every cost per event; :func:`replay_costs` folds a stream with the
incremental :class:`~.cost_ledger.CostLedger`, which a property test holds equal to it after
every event. Events are idempotent by ``event_id``; a rejected event (quantity rules of
``validation`` or the serial / mfr-lot rules of ``serials``) changes nothing and is
remembered with its reason.

Lots, usages, allocation rows and COGS are functions of the *set* of accepted events: facts
merge commutatively, allocation runs in business-time order from the earliest moment an
event touches, and costs are re-evaluated from the books (see ``costing``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from .allocation import CostingMethod
from .cogs import CogsEntry, Valuation, accumulate, journal
from .cost_errors import BusinessRuleViolation
from .cost_facts import CostFacts
from .cost_translation import facts_of
from .costing import CostInputs, LotCost, evaluate
from .errors import EventRejectedError
from .events import Event, PurchaseOpened
from .frozen import fast_init
from .item import ZERO, ItemKey
from .item_book import ItemBook, record
from .moment import Moment
from .serials import check_lines, check_serials
from .validation import validate

__all__ = ["CostBooks", "CostChanges", "apply_cost", "replay_costs", "valuation"]


def _frozen() -> Mapping[Any, Any]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True)
class CostBooks:
    """Per-item books, the cross-item cost inputs, and the derived costs.

    ``estimates``/``closes`` keep the latest (moment, value) per PO line / job, so a later
    arrival of an older change never wins. ``posted`` is Σ COGS journal entries per
    (usage, lot); reconciliation checks it against ``cogs``.
    """

    items: Mapping[ItemKey, ItemBook] = field(default_factory=_frozen)
    methods: Mapping[ItemKey, CostingMethod] = field(default_factory=_frozen)
    estimates: Mapping[str, tuple[Moment, Decimal]] = field(default_factory=_frozen)
    bills: Mapping[str, PurchaseOpened] = field(default_factory=_frozen)
    closes: Mapping[str, tuple[Moment, Decimal]] = field(default_factory=_frozen)
    costs: Mapping[str, LotCost] = field(default_factory=_frozen)
    cogs: Mapping[str, Decimal] = field(default_factory=_frozen)
    posted: Mapping[tuple[str, str], Decimal] = field(default_factory=_frozen)
    valued: Valuation = field(default_factory=_frozen)
    """(usage, lot) -> (net qty, unit cost) the journal last posted at (its next baseline)."""
    processed: frozenset[str] = frozenset()
    rejected: Mapping[str, str] = field(default_factory=_frozen)
    mfr_tracked: frozenset[ItemKey] | None = None
    """Items tracked by mfr lot (configuration); ``None`` infers it from the known lots."""

    def book(self, item: ItemKey) -> ItemBook:
        """The item's books (empty, with its configured method, if never seen)."""
        method = self.methods.get(item, CostingMethod.FIFO)
        return self.items.get(item) or ItemBook(item, method)


@fast_init
@dataclass(frozen=True, slots=True)
class CostChanges:
    """What one event changed on the cost side."""

    event_id: str
    reallocated: Mapping[ItemKey, Moment] = field(default_factory=_frozen)
    revalued: Mapping[str, LotCost] = field(default_factory=_frozen)
    cogs: tuple[CogsEntry, ...] = ()


def apply_cost(event: Event, books: CostBooks) -> tuple[CostBooks, CostChanges]:
    """Apply ``event`` to ``books``; raise if it breaks a business rule (books unchanged)."""
    if event.event_id in books.processed or event.event_id in books.rejected:
        return books, CostChanges(event.event_id)
    validate(event)
    facts = facts_of(event)
    for item, item_facts in sorted(facts.items.items()):
        book = books.book(item)
        lines = [(u.qty, u.serials, u.mfr_lot, False) for u in item_facts.usages]
        lines += [(s.qty, s.serials, None, False) for s in item_facts.supplies]
        lines += [(r.qty, r.serials, r.mfr_lot, True) for r in item_facts.returns]
        tracked = None if books.mfr_tracked is None else item in books.mfr_tracked
        check_lines(item, lines, book.lots, tracked)
        check_serials(item, book.serial_moves, item_facts.serial_moves)
    items = dict(books.items)
    reallocated: dict[ItemKey, Moment] = {}
    for item, item_facts in sorted(facts.items.items()):
        items[item], since = record(books.book(item), item_facts)
        if since is not None:
            reallocated[item] = since
    new = _with_inputs(books, facts, items)
    inputs = _inputs(new)
    costs, cogs = evaluate(inputs)
    valued = valuation(inputs, costs)
    entries = tuple(journal(books.valued, valued, event.event_id, event.occurred_at))
    posted = dict(books.posted)
    accumulate(posted, entries)
    revalued = {lid: c for lid, c in costs.items() if books.costs.get(lid) != c}
    new = replace(
        new,
        costs=MappingProxyType(costs),
        cogs=MappingProxyType(cogs),
        posted=MappingProxyType(posted),
        valued=MappingProxyType(valued),
        processed=books.processed | {event.event_id},
    )
    changes = CostChanges(
        event.event_id, MappingProxyType(reallocated), MappingProxyType(revalued), entries
    )
    return new, changes


def replay_costs(
    events: Iterable[Event],
    books: CostBooks | None = None,
    *,
    methods: Mapping[ItemKey, CostingMethod] | None = None,
    mfr_tracked: Iterable[ItemKey] | None = None,
) -> CostBooks:
    """Fold ``events`` in the given order (rejections are recorded, never raised).

    ``methods`` and ``mfr_tracked`` configure new books (ignored when ``books`` is given).
    New books are folded incrementally (:class:`~.cost_ledger.CostLedger`, equal to the
    reference by test); folding on top of given books uses :func:`apply_cost`.
    """
    from .cost_ledger import CostLedger  # the ledger builds on these books: import late

    if books is not None and (books.items or books.processed or books.rejected):
        return _reference(events, books)
    tracked = None if mfr_tracked is None else frozenset(mfr_tracked)
    if books is not None:
        methods, tracked = books.methods, books.mfr_tracked
    ledger = CostLedger(methods=dict(methods or {}), mfr_tracked=tracked)
    for event in events:
        try:
            ledger.apply(event)
        except (EventRejectedError, BusinessRuleViolation) as error:
            ledger.reject(event.event_id, str(error.reason))
    return ledger.books()


def _reference(events: Iterable[Event], books: CostBooks) -> CostBooks:
    current = books
    for event in events:
        try:
            current, _ = apply_cost(event, current)
        except (EventRejectedError, BusinessRuleViolation) as error:
            rejected = {**current.rejected, event.event_id: str(error.reason)}
            current = replace(current, rejected=MappingProxyType(rejected))
    return current


def _with_inputs(books: CostBooks, facts: CostFacts, items: dict[ItemKey, ItemBook]) -> CostBooks:
    estimates = dict(books.estimates)
    for key, value in facts.estimates.items():
        if key not in estimates or estimates[key][0] < facts.at:
            estimates[key] = (facts.at, value)
    closes = dict(books.closes)
    if facts.close is not None:
        job, extra = facts.close
        if job not in closes or closes[job][0] < facts.at:
            closes[job] = (facts.at, extra)
    bills = dict(books.bills)
    if facts.bill is not None:
        bills[facts.bill.event_id] = facts.bill
    return replace(
        books,
        items=MappingProxyType(items),
        estimates=MappingProxyType(estimates),
        closes=MappingProxyType(closes),
        bills=MappingProxyType(bills),
    )


def _inputs(books: CostBooks) -> CostInputs:
    lots = {lid: lot for b in books.items.values() for lid, lot in b.lots.items()}
    qty = {lid: lot.received for lid, lot in lots.items()}
    net: dict[str, dict[str, Decimal]] = {}
    for book in books.items.values():
        for a in book.allocations:
            per = net.setdefault(a.usage_id, {})
            per[a.lot_id] = per.get(a.lot_id, ZERO) + a.qty
        for g in book.givebacks:
            if g.usage_id is not None and g.lot_id is not None:
                net[g.usage_id][g.lot_id] -= g.qty
            elif g.lot_id is not None:
                qty[g.lot_id] += g.qty
    return CostInputs(
        lots=lots,
        usages={uid: u for b in books.items.values() for uid, u in b.usages.items()},
        qty=qty,
        net=net,
        estimates={k: v for k, (_, v) in books.estimates.items()},
        bills=tuple(books.bills.values()),
        closes={k: v for k, (_, v) in books.closes.items()},
    )


def valuation(inputs: CostInputs, costs: Mapping[str, LotCost]) -> Valuation:
    """What the journal has posted each (usage, lot) pair at: its net qty x the lot's cost."""
    return {
        (uid, lid): (qty, costs[lid].unit_cost)
        for uid, per in inputs.net.items()
        for lid, qty in per.items()
        if qty != ZERO
    }
