"""Unit costs of lots and COGS of usages: cost finalization and cost flow (issue 6 part 4).

A lot's unit cost is a pure function of the books, evaluated in one deterministic order:

* purchase lot of a PO line: estimated at the PO line's ``est_unit_cost`` until billed; then
  final = (Σ billed qty * billed unit cost + freight share) ÷ received qty of the PO line,
  where each bill's freight is spread over its lines by received quantity (billed amount ÷
  billed qty while nothing is received yet). A receipt without PO line: the line's
  ``unit_cost`` (final), else 0 (estimated);
* increase / beginning balance: the line's ``unit_cost`` (final), else 0 (estimated);
* production: (COGS of everything the job consumed + ``additional_cost`` once closed) ÷ all
  the job's output quantity, one unit cost for all its outputs; final once the job closed;
* assembly: COGS of the components ÷ produced quantity; division: the source's COGS split
  by ``cost_share`` when every produced line gives one, else by quantity; both final;
* return: the unit cost (and status) of the item's latest non-return lot received before
  the return, else 0 (estimated).

COGS of a usage = Σ net allocated qty * the lot's current unit cost (invariant 4), so any
re-costing flows on through allocations into production, assembly and division lots. A cost
cycle (a job consuming, through allocations, its own output) is cut where the evaluation,
in lot-id order, meets a lot it is still costing: that edge counts at zero. Unit costs are
rounded half-even to 6 decimal places so that every COGS amount is exact.

:func:`evaluate` is the reference: every lot and usage, from scratch. :class:`CostRun`
also serves the incremental fold (``cost_graph``): given the known costs and the set of
lots that may have changed, it re-costs only those. Lots whose evaluation met a cycle, or
read a lot that did, are *tainted*: where the cut falls depends on the evaluation order, so
a change reaching them is left to the full evaluation (:class:`CostCycleError`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from .cost_index import COST_PLACES, CostIndex, unit_cost
from .errors import DomainError
from .events import PurchaseOpened
from .item import ZERO
from .lot import CostStatus, Lot, LotKind
from .usage import Usage

__all__ = [
    "COST_PLACES",
    "CostCycleError",
    "CostInputs",
    "CostRun",
    "LotCost",
    "evaluate",
    "leaf_cost",
    "unit_cost",
]


@dataclass(frozen=True, slots=True)
class LotCost:
    """A lot's current unit cost and whether it is final."""

    unit_cost: Decimal
    status: CostStatus


@dataclass(frozen=True, slots=True)
class CostInputs:
    """Everything costing reads, across all items.

    ``qty``: each lot's quantity (received + restocked); ``net``: usage → lot → net allocated
    qty; ``estimates``: PO line key → estimate; ``closes``: job document → additional cost.
    """

    lots: Mapping[str, Lot]
    usages: Mapping[str, Usage]
    qty: Mapping[str, Decimal]
    net: Mapping[str, Mapping[str, Decimal]]
    estimates: Mapping[str, Decimal]
    bills: Iterable[PurchaseOpened]
    closes: Mapping[str, Decimal]


_UNCOSTED = LotCost(ZERO, CostStatus.ESTIMATED)


def leaf_cost(lot: Lot, index: CostIndex, estimates: Mapping[str, Decimal]) -> LotCost:
    """The cost of a lot that reads no other lot (purchase, increase, beginning balance)."""
    if (key := index.key_of.get(lot.lot_id)) is not None:
        billed = index.billed.get(key)
        if billed is not None:
            return LotCost(billed, CostStatus.FINAL)
        return LotCost(estimates.get(key, ZERO).quantize(COST_PLACES), CostStatus.ESTIMATED)
    if lot.given_cost is None:
        return _UNCOSTED
    return LotCost(lot.given_cost.quantize(COST_PLACES), CostStatus.FINAL)


class CostCycleError(DomainError):
    """An incremental re-costing reached a cost cycle: evaluate everything instead."""


def evaluate(inputs: CostInputs) -> tuple[dict[str, LotCost], dict[str, Decimal]]:
    """Unit cost of every lot and COGS of every usage."""
    index = CostIndex.build(inputs.lots.values(), inputs.usages.values(), inputs.bills)
    run = CostRun(inputs, index)
    costs = {lid: run.lot(lid) for lid in sorted(inputs.lots)}
    return costs, {uid: run.cogs(uid) for uid in sorted(inputs.usages)}


@dataclass(slots=True)
class CostRun:
    """One evaluation: memoized lot costs, cycle cuts and taint.

    With ``known`` it is incremental: a lot outside ``stale`` keeps its known cost, and
    meeting a cycle or a tainted lot raises :class:`CostCycleError`.
    """

    inputs: CostInputs
    index: CostIndex
    known: Mapping[str, LotCost] | None = None
    stale: set[str] = field(default_factory=set)
    tainted: set[str] = field(default_factory=set)
    done: dict[str, LotCost] = field(default_factory=dict)
    busy: set[str] = field(default_factory=set)
    _cut: bool = False

    def lot(self, lid: str) -> LotCost:
        """The unit cost of lot ``lid``."""
        if lid in self.done:
            self._cut = self._cut or lid in self.tainted
            return self.done[lid]
        if self.known is not None and lid not in self.stale:
            if lid in self.tainted:
                raise CostCycleError(lid)
            return self.known[lid]
        if lid in self.busy:
            if self.known is not None:
                raise CostCycleError(lid)
            self._cut = True
            return _UNCOSTED
        outer, self._cut = self._cut, False
        self.busy.add(lid)
        cost = self._cost(self.inputs.lots[lid])
        self.busy.discard(lid)
        if self._cut:
            self.tainted.add(lid)
        self._cut = outer or self._cut
        self.done[lid] = cost
        return cost

    def cogs(self, uid: str) -> Decimal:
        """COGS of usage ``uid``: Σ net allocated qty * the lot's unit cost."""
        net = self.inputs.net.get(uid, {})
        return sum((q * self.lot(lid).unit_cost for lid, q in sorted(net.items())), ZERO)

    def _cost(self, lot: Lot) -> LotCost:
        match lot.kind:
            case LotKind.PRODUCTION | LotKind.ASSEMBLY | LotKind.DIVISION:
                return self._rolled(lot)
            case LotKind.RETURN:
                latest = self.index.latest_before(lot)
                return _UNCOSTED if latest is None else self.lot(latest)
            case _:
                return leaf_cost(lot, self.index, self.inputs.estimates)

    def _rolled(self, lot: Lot) -> LotCost:
        used = self.index.used_by_doc.get(lot.document, [])
        total = sum((self.cogs(uid) for uid in used), ZERO)
        closed = lot.document in self.inputs.closes
        total += self.inputs.closes.get(lot.document, ZERO)
        lots = self.inputs.lots
        outputs = [
            lots[i] for i in self.index.by_doc.get(lot.document, []) if lots[i].kind is lot.kind
        ]
        status = (
            CostStatus.FINAL
            if closed or lot.kind is not LotKind.PRODUCTION
            else (CostStatus.ESTIMATED)
        )
        qty = {o.lot_id: self.inputs.qty.get(o.lot_id, ZERO) for o in outputs}
        shares = [o.cost_share for o in outputs]
        if lot.kind is LotKind.DIVISION and all(s is not None and s > ZERO for s in shares):
            weight = {o.lot_id: o.cost_share or ZERO for o in outputs}
        else:
            weight = qty
        whole = sum(weight.values(), ZERO)
        if not whole or not qty[lot.lot_id]:
            return LotCost(ZERO, status)
        share = total * weight[lot.lot_id] / whole
        return LotCost(unit_cost(share, qty[lot.lot_id]), status)
