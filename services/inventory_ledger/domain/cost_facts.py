"""What one event tells the cost side: lots, supplies, usages, returns, serials, cost inputs.

:class:`CostFacts` collects them per item (:class:`ItemFacts`) plus the cross-item cost
inputs; ``cost_translation`` fills it from one event. Ids are deterministic: a lot is
identified by its document line, item and mfr lot (:func:`~.lot.lot_id`), a usage by its
document line. Inside one event consumed lines come before produced lines (``seq`` ``0:`` /
``1:``), so an assembly's components leave before its product arrives.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from .allocation import ReturnLine, Supply
from .events import PurchaseOpened
from .item import ItemKey
from .lot import Lot, LotKind, lot_id
from .moment import Moment
from .serials import SerialMove, SerialMoveKind
from .sharing import shared_text
from .usage import Usage, UsageKind

__all__ = ["CostFacts", "GoodsLine", "ItemFacts", "moves"]

_OUT, _RECEIPT = SerialMoveKind.OUT, SerialMoveKind.RECEIPT


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


@dataclass(slots=True, init=False)
class ItemFacts:
    """The facts of one event about one item."""

    lots: list[Lot]
    supplies: list[Supply]
    usages: list[Usage]
    returns: list[ReturnLine]
    serial_moves: list[SerialMove]

    def __init__(  # as the dataclass's own, with literal lists (one is made per event)
        self,
        lots: list[Lot] | None = None,
        supplies: list[Supply] | None = None,
        usages: list[Usage] | None = None,
        returns: list[ReturnLine] | None = None,
        serial_moves: list[SerialMove] | None = None,
    ) -> None:
        self.lots = [] if lots is None else lots
        self.supplies = [] if supplies is None else supplies
        self.usages = [] if usages is None else usages
        self.returns = [] if returns is None else returns
        self.serial_moves = [] if serial_moves is None else serial_moves


@dataclass(slots=True, init=False)
class CostFacts:
    """The facts of one event (at ``at``): per item, plus the cross-item cost inputs.

    ``estimates``: PO line (``purchase_order:<po>/<line>``) -> its estimated unit cost;
    ``bill``: a vendor bill; ``close``: a job document and its additional cost.
    """

    at: Moment
    items: dict[ItemKey, ItemFacts]
    estimates: dict[str, Decimal]
    bill: PurchaseOpened | None
    close: tuple[str, Decimal] | None

    def __init__(  # as the dataclass's own, with literal dicts (one is made per event)
        self,
        at: Moment,
        items: dict[ItemKey, ItemFacts] | None = None,
        estimates: dict[str, Decimal] | None = None,
        bill: PurchaseOpened | None = None,
        close: tuple[str, Decimal] | None = None,
    ) -> None:
        self.at = at
        self.items = {} if items is None else items
        self.estimates = {} if estimates is None else estimates
        self.bill = bill
        self.close = close

    def of(self, item: ItemKey) -> ItemFacts:
        """The facts about ``item`` (created empty on first use)."""
        found = self.items.get(item)
        if found is None:
            found = self.items[item] = ItemFacts()
        return found

    def line_at(self, seq: str) -> Moment:
        """The moment of one line of the event."""
        return Moment(self.at.at, self.at.event_id, shared_text(seq))

    def used(self, *, kind: UsageKind, doc: str, line: str, goods: GoodsLine) -> None:
        """Goods left stock on ``doc`` line ``line``: a usage (and serials out)."""
        event = self.at
        at = Moment(event.at, event.event_id, shared_text(f"0:{goods.line_id}"))  # line_at, inlined
        item_key = goods.item
        usage = Usage(
            f"{doc}/{line}", kind, item_key, doc, line, goods.qty, at, goods.mfr_lot,
            goods.serials,
        )  # fmt: skip
        item = self.items.get(item_key)  # of(), inlined
        if item is None:
            item = self.items[item_key] = ItemFacts()
        item.usages.append(usage)
        if goods.serials:
            item.serial_moves += moves(goods.serials, at, _OUT)

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
        event = self.at
        at = Moment(event.at, event.event_id, shared_text(f"1:{goods.line_id}"))  # line_at, inlined
        item_key = goods.item
        lid = lot_id(doc, line, item_key, goods.mfr_lot)
        item = self.items.get(item_key)  # of(), inlined
        if item is None:
            item = self.items[item_key] = ItemFacts()
        given_cost, share = costs
        qty = goods.qty
        item.lots.append(
            Lot(lid, kind, item_key, doc, line, goods.mfr_lot, qty, at, given_cost, share)
        )
        item.supplies.append(Supply(at, lid, qty, goods.serials))
        if goods.serials:
            item.serial_moves += moves(goods.serials, at, _RECEIPT)


def moves(serials: tuple[str, ...], at: Moment, kind: SerialMoveKind) -> list[SerialMove]:
    """One serial move per serial."""
    return [SerialMove(serial, at, kind) for serial in serials]
