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
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal

from .events import PurchaseOpened
from .item import ZERO, ItemKey
from .lot import CostStatus, Lot, LotKind
from .moment import Moment
from .usage import Usage

__all__ = ["COST_PLACES", "CostInputs", "LotCost", "evaluate", "unit_cost"]

COST_PLACES = Decimal("0.000001")


@dataclass(frozen=True, slots=True)
class LotCost:
    """A lot's current unit cost and whether it is final."""

    unit_cost: Decimal
    status: CostStatus


def unit_cost(amount: Decimal, qty: Decimal) -> Decimal:
    """``amount ÷ qty`` rounded to :data:`COST_PLACES` (0 for no quantity)."""
    return (amount / qty).quantize(COST_PLACES, ROUND_HALF_EVEN) if qty else ZERO


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


def evaluate(inputs: CostInputs) -> tuple[dict[str, LotCost], dict[str, Decimal]]:
    """Unit cost of every lot and COGS of every usage."""
    run = _Run(inputs)
    costs = {lid: run.lot(lid) for lid in sorted(inputs.lots)}
    return costs, {uid: run.cogs(uid) for uid in sorted(inputs.usages)}


@dataclass(slots=True)
class _Run:
    inputs: CostInputs
    done: dict[str, LotCost] = field(default_factory=dict)
    busy: set[str] = field(default_factory=set)
    billed: dict[str, Decimal] = field(default_factory=dict)
    by_doc: dict[str, list[Lot]] = field(default_factory=dict)
    used_by_doc: dict[str, list[str]] = field(default_factory=dict)
    arrivals: dict[ItemKey, list[tuple[Moment, str]]] = field(default_factory=dict)
    """Per item, (first arrival, lot id) of its non-return lots, sorted: "latest" lookups."""

    def __post_init__(self) -> None:
        for lot in sorted(self.inputs.lots.values(), key=lambda lot: lot.lot_id):
            self.by_doc.setdefault(lot.document, []).append(lot)
            if lot.kind is not LotKind.RETURN and lot.received_at is not None:
                self.arrivals.setdefault(lot.item, []).append((lot.received_at, lot.lot_id))
        for arrivals in self.arrivals.values():
            arrivals.sort()
        for usage in sorted(self.inputs.usages.values(), key=lambda u: u.usage_id):
            self.used_by_doc.setdefault(usage.document, []).append(usage.usage_id)
        self.billed = self._bills()

    def lot(self, lid: str) -> LotCost:
        if lid in self.done:
            return self.done[lid]
        if lid in self.busy:
            return LotCost(ZERO, CostStatus.ESTIMATED)
        self.busy.add(lid)
        cost = self._cost(self.inputs.lots[lid])
        self.busy.discard(lid)
        self.done[lid] = cost
        return cost

    def cogs(self, uid: str) -> Decimal:
        net = self.inputs.net.get(uid, {})
        return sum((q * self.lot(lid).unit_cost for lid, q in sorted(net.items())), ZERO)

    def _cost(self, lot: Lot) -> LotCost:
        given = LotCost(
            ZERO if lot.given_cost is None else lot.given_cost.quantize(COST_PLACES),
            CostStatus.ESTIMATED if lot.given_cost is None else CostStatus.FINAL,
        )
        match lot.kind:
            case LotKind.PURCHASE if lot.document.startswith("purchase_order:"):
                key = f"{lot.document}/{lot.document_line}"
                if key in self.billed:
                    return LotCost(self.billed[key], CostStatus.FINAL)
                estimate = self.inputs.estimates.get(key, ZERO)
                return LotCost(estimate.quantize(COST_PLACES), CostStatus.ESTIMATED)
            case LotKind.PRODUCTION | LotKind.ASSEMBLY | LotKind.DIVISION:
                return self._rolled(lot)
            case LotKind.RETURN:
                return self._latest(lot)
            case _:
                return given

    def _rolled(self, lot: Lot) -> LotCost:
        total = sum((self.cogs(uid) for uid in self.used_by_doc.get(lot.document, [])), ZERO)
        closed = lot.document in self.inputs.closes
        total += self.inputs.closes.get(lot.document, ZERO)
        outputs = [o for o in self.by_doc.get(lot.document, []) if o.kind is lot.kind]
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

    def _latest(self, lot: Lot) -> LotCost:
        arrivals = self.arrivals.get(lot.item, [])
        if lot.received_at is None:
            return LotCost(ZERO, CostStatus.ESTIMATED)
        before = bisect_left(arrivals, (lot.received_at, ""))
        if before == 0:
            return LotCost(ZERO, CostStatus.ESTIMATED)
        return self.lot(arrivals[before - 1][1])

    def _bills(self) -> dict[str, Decimal]:
        received: dict[str, Decimal] = {}
        for lot in self.inputs.lots.values():
            if lot.kind is LotKind.PURCHASE and lot.document.startswith("purchase_order:"):
                key = f"{lot.document}/{lot.document_line}"
                received[key] = received.get(key, ZERO) + lot.received
        amount: dict[str, Decimal] = {}
        billed_qty: dict[str, Decimal] = {}
        for bill in sorted(self.inputs.bills, key=lambda b: b.event_id):
            keys = [f"purchase_order:{bill.po_id}/{line.po_line_id}" for line in bill.lines]
            spread = sum((received.get(k, ZERO) for k in set(keys)), ZERO)
            for key, line in zip(keys, bill.lines, strict=True):
                amount[key] = amount.get(key, ZERO) + line.qty * line.unit_cost
                billed_qty[key] = billed_qty.get(key, ZERO) + line.qty
            for key in set(keys):
                if bill.freight and spread:
                    amount[key] += bill.freight * received.get(key, ZERO) / spread
        return {
            key: unit_cost(total, received.get(key) or billed_qty[key])
            for key, total in amount.items()
        }
