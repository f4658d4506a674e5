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

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from .cost_index import COST_PLACES, CostIndex, unit_cost
from .errors import DomainError
from .events import PurchaseOpened
from .frozen import fast_init
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
    "leaf_changed",
    "leaf_cost",
    "unit_cost",
]


@fast_init
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


_FINAL, _ESTIMATED = CostStatus.FINAL, CostStatus.ESTIMATED
_UNCOSTED = LotCost(ZERO, _ESTIMATED)
_PRODUCTION, _DIVISION = LotKind.PRODUCTION, LotKind.DIVISION
_RETURN = LotKind.RETURN
_ROLLED_KINDS = frozenset({LotKind.PRODUCTION, LotKind.ASSEMBLY, LotKind.DIVISION})


def leaf_cost(lot: Lot, index: CostIndex, estimates: Mapping[str, Decimal]) -> LotCost:
    """The cost of a lot that reads no other lot (purchase, increase, beginning balance)."""
    return LotCost(*_leaf(lot, index, estimates))


def leaf_changed(
    lot: Lot, index: CostIndex, estimates: Mapping[str, Decimal], known: LotCost | None
) -> bool:
    """``known != leaf_cost(lot, index, estimates)``, without building the new cost."""
    return known is None or (known.unit_cost, known.status) != _leaf(lot, index, estimates)


def _leaf(
    lot: Lot, index: CostIndex, estimates: Mapping[str, Decimal]
) -> tuple[Decimal, CostStatus]:
    """A leaf lot's (unit cost, status): billed, else estimated (purchase lots); else given."""
    if (key := index.key_of.get(lot.lot_id)) is not None:
        billed = index.billed.get(key)
        if billed is not None:
            return billed, _FINAL
        return estimates.get(key, ZERO).quantize(COST_PLACES), _ESTIMATED
    if lot.given_cost is None:
        return ZERO, _ESTIMATED
    return lot.given_cost.quantize(COST_PLACES), _FINAL


_Roll = tuple[Decimal, CostStatus, dict[str, Decimal], dict[str, Decimal], Decimal]
"""A rolled document's total cost, status, output quantities and weights, sum of weights."""


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
    meeting a cycle or a tainted lot raises :class:`CostCycleError`. ``known_cogs`` (the COGS
    each usage was last valued at, from the same known costs) lets a usage outside
    ``changed`` (usages whose allocation changed since) that draws on no stale or tainted
    lot keep its known COGS: the sum would be the same, term by term.
    """

    inputs: CostInputs
    index: CostIndex
    known: Mapping[str, LotCost] | None = None
    stale: set[str] = field(default_factory=set)
    tainted: set[str] = field(default_factory=set)
    known_cogs: Mapping[str, Decimal] | None = None
    changed: Collection[str] = ()
    fixed: Mapping[str, LotCost] | None = None
    scope: Collection[str] = ()
    """A full run over ``scope`` only: a lot outside it costs ``fixed[lot]`` (see
    ``CostGraph.settle``: the lots outside read no cycle and no change)."""
    done: dict[str, LotCost] = field(default_factory=dict)
    busy: set[str] = field(default_factory=set)
    _cut: bool = False
    _rolls: dict[tuple[str, LotKind], _Roll] = field(default_factory=dict)
    """(document, kind) -> what its output lots share (incremental runs only)."""

    def lot(self, lid: str) -> LotCost:
        """The unit cost of lot ``lid``."""
        if lid in self.done:
            self._cut = self._cut or lid in self.tainted
            return self.done[lid]
        if self.known is not None and lid not in self.stale:
            if lid in self.tainted:
                raise CostCycleError(lid)
            return self.known[lid]
        if self.fixed is not None and lid not in self.scope:
            return self.fixed[lid]
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
        net = self.inputs.net.get(uid)
        total = ZERO
        if net:
            known_cogs = self.known_cogs
            if known_cogs is not None and uid not in self.changed:
                stale, tainted = self.stale, self.tainted
                for lid in net:
                    if lid in stale or lid in tainted:
                        break  # its COGS may change (or the run must fail): sum it anew
                else:
                    known = known_cogs.get(uid)
                    if known is not None:
                        return known
            for lid, q in sorted(net.items()) if len(net) > 1 else net.items():
                total = total + q * self.lot(lid).unit_cost  # as sum(..., ZERO) adds
        return total

    def _cost(self, lot: Lot) -> LotCost:
        kind = lot.kind
        if kind in _ROLLED_KINDS:
            return self._rolled(lot)
        if kind == _RETURN:
            latest = self.index.latest_before(lot)
            return _UNCOSTED if latest is None else self.lot(latest)
        return leaf_cost(lot, self.index, self.inputs.estimates)

    def _rolled(self, lot: Lot) -> LotCost:
        kind, document = lot.kind, lot.document
        rolled = self._rolls.get((document, kind))
        if rolled is None:
            rolled = self._roll(document, kind)
            if self.known is not None:
                # incremental: a cycle raises instead of cutting, so every output of the
                # document reads the same total; a full run may cut, per output, differently
                self._rolls[document, kind] = rolled
        total, status, qty, weight, whole = rolled
        if not whole or not qty[lot.lot_id]:
            return LotCost(ZERO, status)
        share = total * weight[lot.lot_id] / whole
        return LotCost(unit_cost(share, qty[lot.lot_id]), status)

    def _roll(self, document: str, kind: LotKind) -> _Roll:
        """What every output lot of ``kind`` of ``document`` shares: the total to spread,
        the status, the outputs' quantities and weights and the sum of the weights."""
        total = ZERO
        for uid in self.index.used_by_doc.get(document, ()):
            total = total + self.cogs(uid)  # as sum(..., ZERO) adds, in usage-id order
        closes = self.inputs.closes
        closed = document in closes
        total += closes.get(document, ZERO)
        lots = self.inputs.lots
        outputs = [lots[i] for i in self.index.by_doc.get(document, []) if lots[i].kind is kind]
        status = _FINAL if closed or kind is not _PRODUCTION else _ESTIMATED
        quantities = self.inputs.qty
        qty = {o.lot_id: quantities.get(o.lot_id, ZERO) for o in outputs}
        if kind is _DIVISION and all(
            o.cost_share is not None and o.cost_share > ZERO for o in outputs
        ):
            weight = {o.lot_id: o.cost_share or ZERO for o in outputs}
        else:
            weight = qty
        return total, status, qty, weight, sum(weight.values(), ZERO)
