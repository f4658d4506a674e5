"""What one event tells the cost side: lots, supplies, usages, returns, serials, cost inputs.

:class:`CostFacts` collects them per item (:class:`ItemFacts`) plus the cross-item cost
inputs; ``cost_translation`` fills it from one event. Ids are deterministic: a lot is
identified by its document line, item and mfr lot (:func:`~.lot.lot_id`), a usage by its
document line. Inside one event consumed lines come before produced lines (``seq`` ``0:`` /
``1:``), so an assembly's components leave before its product arrives.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from .allocation import ReturnLine, Supply
from .events import PurchaseOpened
from .item import ItemKey
from .lot import Lot, LotKind, lot_id
from .moment import Moment
from .serials import SerialMove, SerialMoveKind
from .usage import Usage, UsageKind

__all__ = ["CostFacts", "GoodsLine", "ItemFacts", "moves"]


class GoodsLine(Protocol):
    """What every goods-moving event line has."""

    @property
    def line_id(self) -> str: ...
    @property
    def item(self) -> ItemKey: ...
    @property
    def qty(self) -> Decimal: ...
    @property
    def mfr_lot(self) -> str | None: ...
    @property
    def serials(self) -> tuple[str, ...]: ...


@dataclass(slots=True)
class ItemFacts:
    """The facts of one event about one item."""

    lots: list[Lot] = field(default_factory=list)
    supplies: list[Supply] = field(default_factory=list)
    usages: list[Usage] = field(default_factory=list)
    returns: list[ReturnLine] = field(default_factory=list)
    serial_moves: list[SerialMove] = field(default_factory=list)


@dataclass(slots=True)
class CostFacts:
    """The facts of one event (at ``at``): per item, plus the cross-item cost inputs.

    ``estimates``: PO line (``purchase_order:<po>/<line>``) -> its estimated unit cost;
    ``bill``: a vendor bill; ``close``: a job document and its additional cost.
    """

    at: Moment
    items: dict[ItemKey, ItemFacts] = field(default_factory=dict)
    estimates: dict[str, Decimal] = field(default_factory=dict)
    bill: PurchaseOpened | None = None
    close: tuple[str, Decimal] | None = None

    def of(self, item: ItemKey) -> ItemFacts:
        """The facts about ``item`` (created empty on first use)."""
        found = self.items.get(item)
        if found is None:
            found = self.items[item] = ItemFacts()
        return found

    def line_at(self, seq: str) -> Moment:
        """The moment of one line of the event."""
        return Moment(self.at.at, self.at.event_id, seq)

    def used(self, *, kind: UsageKind, doc: str, line: str, goods: GoodsLine) -> None:
        """Goods left stock on ``doc`` line ``line``: a usage (and serials out)."""
        at = self.line_at(f"0:{goods.line_id}")
        usage = Usage(
            f"{doc}/{line}", kind, goods.item, doc, line, goods.qty, at, goods.mfr_lot,
            goods.serials,
        )  # fmt: skip
        item = self.of(goods.item)
        item.usages.append(usage)
        if goods.serials:
            item.serial_moves += moves(goods.serials, at, SerialMoveKind.OUT)

    def made(
        self,
        *,
        kind: LotKind,
        doc: str,
        line: str,
        goods: GoodsLine,
        costs: tuple[Decimal | None, Decimal | None] = (None, None),
    ) -> None:
        """Goods entered stock on ``doc`` line ``line``: a lot touch and a supply.

        ``costs`` is (unit cost stated by the line, division cost share).
        """
        at = self.line_at(f"1:{goods.line_id}")
        lid = lot_id(doc, line, goods.item, goods.mfr_lot)
        item = self.of(goods.item)
        given_cost, share = costs
        item.lots.append(
            Lot(lid, kind, goods.item, doc, line, goods.mfr_lot, goods.qty, at, given_cost, share)
        )
        item.supplies.append(Supply(at, lid, goods.qty, goods.serials))
        if goods.serials:
            item.serial_moves += moves(goods.serials, at, SerialMoveKind.RECEIPT)


def moves(serials: tuple[str, ...], at: Moment, kind: SerialMoveKind) -> list[SerialMove]:
    """One serial move per serial."""
    return [SerialMove(serial, at, kind) for serial in serials]
