"""Incremental costing: re-cost only what an event reached, through the allocation edges.

:class:`CostGraph` keeps the cost inputs of the whole ledger, their
:class:`~.cost_index.CostIndex` and the derived unit costs and COGS (the valuation per
(usage, lot) pair is derived from the net allocation and the costs, not kept). An event
*marks* what it changed (``add_lot``, ``add_usage``, ``set_net``, ``estimate``, ``bill``,
``close``); :meth:`CostGraph.settle` re-costs the marked lots that read no other lot
(purchase, increase, beginning balance) and goes on only from those whose cost changed, and
from the other marks, along the edges: a lot's cost feeds the COGS of the usages allocated
to it and the return lots that take it as their latest lot; a usage's COGS feeds the
production, assembly or division lots of its document. That closure is re-costed upstream
first (as :func:`~.costing.evaluate` does), then COGS and the journal of its usages only.
A cost cycle is cut where the *global* evaluation order meets it, so a closure that reaches
a tainted lot (see ``costing``) falls back to evaluating everything, as the reference does.
"""

from __future__ import annotations

from bisect import insort
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from .cogs import CogsCause, CogsEntry
from .cost_index import ROLLED, CostIndex
from .costing import CostCycleError, CostInputs, CostRun, LotCost, leaf_changed, leaf_cost
from .events import PurchaseOpened
from .item import ZERO
from .lot import Lot, LotKind
from .moment import Moment
from .sharing import shared_decimal
from .usage import Usage

__all__ = ["CostGraph"]

_DERIVED = ROLLED | {LotKind.RETURN}
_REVALUATION, _ALLOCATION = CogsCause.REVALUATION, CogsCause.ALLOCATION

Pair = tuple[str, str]

_NO_NET: dict[str, Decimal] = {}


@dataclass(slots=True)
class CostGraph:
    """The ledger's cost inputs, index and derived costs, plus what the event marked."""

    lots: dict[str, Lot] = field(default_factory=dict)
    usages: dict[str, Usage] = field(default_factory=dict)
    qty: dict[str, Decimal] = field(default_factory=dict)
    restocked: dict[str, Decimal] = field(default_factory=dict)
    net: dict[str, dict[str, Decimal]] = field(default_factory=dict)
    users: dict[str, set[str]] = field(default_factory=dict)
    allocated: dict[str, Decimal] = field(default_factory=dict)
    """Lot -> Σ of its users' net quantities (kept by ``set_net``: a lot record reads it
    without walking every usage the lot ever served)."""
    estimates: dict[str, tuple[Moment, Decimal]] = field(default_factory=dict)
    closes: dict[str, tuple[Moment, Decimal]] = field(default_factory=dict)
    bills: dict[str, PurchaseOpened] = field(default_factory=dict)
    index: CostIndex = field(default_factory=CostIndex)
    costs: dict[str, LotCost] = field(default_factory=dict)
    cogs: dict[str, Decimal] = field(default_factory=dict)
    tainted: set[str] = field(default_factory=set)
    full_runs: int = 0
    """How many events fell back to the full evaluation (a change reached a cost cycle)."""
    _estimated: dict[str, Decimal] = field(default_factory=dict)
    _closed: dict[str, Decimal] = field(default_factory=dict)
    _inputs: CostInputs = field(init=False)
    _lots: set[str] = field(default_factory=set)
    _docs: set[str] = field(default_factory=set)
    _usages: dict[str, dict[str, Decimal]] = field(default_factory=dict)
    """Marked usages -> their net allocation (lot -> qty) at the last settle: the journal's
    "before" (with the lots' costs then, it is the valuation the journal last posted)."""

    def __post_init__(self) -> None:
        self._inputs = CostInputs(
            self.lots,
            self.usages,
            self.qty,
            self.net,
            self._estimated,
            self.bills.values(),
            self._closed,
        )

    @property
    def inputs(self) -> CostInputs:
        """The current inputs, as :func:`~.costing.evaluate` takes them (live views)."""
        return self._inputs

    def add_lot(self, lot: Lot) -> None:
        """A lot is new or its facts changed."""
        old = self.lots.get(lot.lot_id)
        self.lots[lot.lot_id] = lot
        self.qty[lot.lot_id] = shared_decimal(lot.received + self.restocked.get(lot.lot_id, ZERO))
        self._lots.update(self.index.add_lot(lot, old))
        # a merged lot keeps its first receipt's moment object: "is" spares Moment.__eq__
        if old is None or (
            old.received_at is not lot.received_at and old.received_at != lot.received_at
        ):
            self._lots.update(self.index.followers(lot))
        self._lots.add(lot.lot_id)
        if lot.kind in ROLLED:
            self._docs.add(lot.document)
        key = self.index.key_of.get(lot.lot_id)
        if (
            key is not None
            and (old is None or old.received != lot.received)
            and key in self.index.key_bills  # else no billed cost reads its receipts
        ):
            self._rebill({key})

    def add_usage(self, usage: Usage) -> None:
        """A new usage (its COGS starts at zero)."""
        usage_id = usage.usage_id
        if usage_id not in self.usages:
            # CostIndex.add_usage, inlined (one call less per usage line)
            insort(self.index.used_by_doc.setdefault(usage.document, []), usage_id)
            if usage_id not in self._usages:
                self._usages[usage_id] = {}
        self.usages[usage_id] = usage

    def set_net(self, usage_id: str, net: dict[str, Decimal]) -> None:
        """A usage's rows changed: its net allocation (lot -> qty) is now ``net``."""
        old = self.net.pop(usage_id, None)
        if usage_id not in self._usages:
            self._usages[usage_id] = old or {}  # detached from ``net``: nothing changes it
        users, allocated = self.users, self.allocated
        if old:
            for lot in old.keys() - net.keys():
                users[lot].discard(usage_id)
            for lot, qty in old.items():
                allocated[lot] -= qty
        for lot, drawn in net.items():
            net[lot] = qty = shared_decimal(drawn)  # a value, not a key: no resize
            lot_users = users.get(lot)
            if lot_users is None:
                users[lot] = {usage_id}
            else:
                lot_users.add(usage_id)
            allocated[lot] = shared_decimal(allocated.get(lot, ZERO) + qty)
        if net:
            self.net[usage_id] = net

    def set_restocked(self, lot_id: str, qty: Decimal) -> None:
        """What returns restocked into ``lot_id`` is now ``qty``."""
        self.restocked[lot_id] = qty
        self.qty[lot_id] = shared_decimal(self.lots[lot_id].received + qty)

    def estimate(self, key: str, at: Moment, value: Decimal) -> None:
        """A PO line's estimate as of ``at`` (an older one never wins)."""
        if key not in self.estimates or self.estimates[key][0] < at:
            self.estimates[key] = (at, value)
            self._estimated[key] = value
            self._lots.update(self.index.key_lots.get(key, ()))

    def bill(self, bill: PurchaseOpened) -> None:
        """A vendor bill: its PO lines (and those sharing its freight) are re-billed."""
        self.bills[bill.event_id] = bill
        self._rebill(self.index.add_bill(bill))

    def close(self, document: str, at: Moment, extra: Decimal) -> None:
        """A job closed as of ``at`` with additional cost ``extra``."""
        if document not in self.closes or self.closes[document][0] < at:
            self.closes[document] = (at, extra)
            self._closed[document] = extra
            self._docs.add(document)

    def settle(
        self, event_id: str, occurred_at: datetime
    ) -> tuple[dict[str, LotCost], list[CogsEntry]]:
        """Re-cost what the marks reach; the lots re-costed and the COGS journal entries."""
        start: list[str] = []
        if self._lots:
            lots, costs, index, estimated = self.lots, self.costs, self.index, self._estimated
            for lid in self._lots:
                lot = lots[lid]
                if lot.kind in _DERIVED or leaf_changed(lot, index, estimated, costs.get(lid)):
                    start.append(lid)
        if start or self._docs or self._reads_usages():
            stale, usages = self._closure(start)
        else:  # usages only (a shipment), and no lot reads them: nothing to re-cost
            stale, usages = set(), set(self._usages)
        revalued: dict[str, LotCost] = {}
        before: dict[str, LotCost | None] = {}
        if stale:
            try:
                fresh = self._recost(stale)
            except CostCycleError:
                # The full evaluation, in its order (sorted lot ids), over the lots that can
                # read a cycle or a change: everything downstream of a tainted or stale lot.
                # A lot outside reads neither, so it would be evaluated to the cost it has
                # (no cut on its way), and evaluating it cannot change how a lot inside meets
                # a cycle (it reads none). Not every lot of history: that made each fallback
                # O(history) — up to 40 s per 50k events on the service benchmark's arrival.
                self.full_runs += 1
                scope, usages = self._closure([*stale, *self.tainted])
                run = CostRun(self._inputs, self.index, fixed=self.costs, scope=scope)
                fresh = {lid: run.lot(lid) for lid in sorted(scope)}
                self.tainted = run.tainted
            costs = self.costs
            revalued = {lid: c for lid, c in fresh.items() if costs.get(lid) != c}
            before = {lid: costs.get(lid) for lid in revalued}
            costs.update(fresh)
        entries = self._revalue(usages, before, event_id, occurred_at) if usages else []
        self._lots.clear()
        self._docs.clear()
        self._usages.clear()
        return revalued, entries

    def _recost(self, stale: set[str]) -> dict[str, LotCost]:
        if stale & self.tainted:
            raise CostCycleError(min(stale & self.tainted))
        lots, index, estimated = self.lots, self.index, self._estimated
        ordered = sorted(stale)
        for lid in ordered:
            if lots[lid].kind in _DERIVED:
                break
        else:  # leaves only (receipts, bills, estimates): what CostRun.lot gives them
            return {lid: leaf_cost(lots[lid], index, estimated) for lid in ordered}
        run = CostRun(
            self._inputs,
            self.index,
            known=self.costs,
            stale=stale,
            tainted=self.tainted,
            known_cogs=self.cogs,
            changed=self._usages,
        )
        return {lid: run.lot(lid) for lid in ordered}

    def _reads_usages(self) -> bool:
        """Whether a lot's cost reads a marked usage (its document rolls its COGS up)."""
        rolled, known = self.index.rolled, self.usages
        for uid in self._usages:  # noqa: SIM110 - a loop: no generator per event
            if known[uid].document in rolled:
                return True
        return False

    def _closure(self, start: list[str]) -> tuple[set[str], set[str]]:
        index, users, known = self.index, self.users, self.lots
        rolled, returns = index.rolled, index.returns
        stale: set[str] = set()
        usages = set()
        lots, docs, queue = list(start), set(self._docs), list(self._usages)
        while lots or queue or docs:
            while lots:
                lid = lots.pop()
                if lid not in stale:
                    stale.add(lid)
                    queue.extend(users.get(lid, ()))
                    lot = known[lid]
                    item = lot.item
                    if (item.lic, item.location) in returns:  # else it has no followers
                        lots.extend(index.followers(lot))
            while queue:
                uid = queue.pop()
                if uid not in usages:
                    usages.add(uid)
                    docs.add(self.usages[uid].document)
            for doc in docs:
                lots.extend(rolled.get(doc, ()))
            docs.clear()
        return stale, usages

    def _revalue(
        self,
        usages: set[str],
        before: dict[str, LotCost | None],
        event_id: str,
        occurred_at: datetime,
    ) -> list[CogsEntry]:
        """COGS of ``usages`` and the journal entries; ``before``: the re-costed lots' costs
        before this settle.

        ``cogs.journal_entries(before, after)`` fused with the valuation update: the pairs
        (usage, lot) are visited in sorted order (usage, then lot), which is the journal's
        key order, so no before/after maps are built and no keys are sorted again.
        """
        costs, cogs, net_of, held_of = self.costs, self.cogs, self.net, self._usages
        entries: list[CogsEntry] = []
        for uid in sorted(usages) if len(usages) > 1 else usages:
            net = net_of.get(uid, _NO_NET)
            pairs = sorted(net.items()) if len(net) > 1 else list(net.items())
            total = ZERO
            for lid, q in pairs:
                total = total + q * costs[lid].unit_cost  # as sum(..., ZERO) adds, in lot order
            cogs[uid] = total = shared_decimal(total)
            held = held_of.get(uid)
            if held and not held.keys() <= net.keys():  # a lot it no longer draws from too
                pairs = [(lid, net.get(lid, ZERO)) for lid in sorted(held.keys() | net.keys())]
            if pairs:
                self._journal(uid, pairs, held, before, entries, event_id, occurred_at)
        return entries

    def _journal(  # noqa: PLR0917 - the pairs, what they were valued at, the entries
        self,
        uid: str,
        pairs: list[tuple[str, Decimal]],
        held: dict[str, Decimal] | None,
        before: dict[str, LotCost | None],
        entries: list[CogsEntry],
        event_id: str,
        occurred_at: datetime,
    ) -> None:
        """Value the usage's pairs (lot, net qty) anew; append what the journal posts.

        What the journal last posted a pair at is its quantity then (``held``, the usage's
        net allocation at the last settle; ``None``: unchanged since, the quantity now) at the
        lot's cost then (``before`` for a lot re-costed in this settle, else its cost now):
        the valuation ``cost_books`` keeps, derived instead of kept. The amounts are
        ``journal_entries``' own expressions (the same Decimal operations); the terms it
        computes that are always zero (the revaluation of a pair that appears or vanishes)
        are skipped.
        """
        costs, append = self.costs, entries.append
        for lid, qty in pairs:
            old_qty = qty if held is None else held.get(lid, ZERO)
            prior = before.get(lid, costs.get(lid)) if old_qty != ZERO else None
            if qty != ZERO:
                unit = costs[lid].unit_cost
                if prior is None:  # a new pair: a pure allocation
                    moved = (qty - ZERO) * unit
                else:
                    old_cost = prior.unit_cost
                    revalued = old_qty * (unit - old_cost)
                    if revalued != ZERO:
                        append(CogsEntry(uid, lid, revalued, _REVALUATION, event_id, occurred_at))
                    moved = (qty - old_qty) * unit
            elif prior is not None:  # a pair that vanished: its units leave at their cost
                moved = (ZERO - old_qty) * prior.unit_cost
            else:
                continue
            if moved != ZERO:
                append(CogsEntry(uid, lid, moved, _ALLOCATION, event_id, occurred_at))

    def _rebill(self, keys: set[str]) -> None:
        keys = self.index.spread_over(keys)
        self.index.rebill(keys, self.lots)
        for key in keys:
            self._lots.update(self.index.key_lots.get(key, ()))
