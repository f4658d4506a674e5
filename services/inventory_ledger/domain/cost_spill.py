"""Cost books whose cold entries live in a :class:`~.spill.ColdStore` (see ``spill``).

:func:`spilled_graph` builds an empty :class:`~.cost_graph.CostGraph` whose per-lot,
per-usage, per-document and per-PO-line maps (and the index's) are
:class:`~.spill.SpillMap` members of four groups, plus one for bills, and the
:class:`CostSpill` that trims them. It also gives each item ledger four groups of its own
(:meth:`CostSpill.item_maps`: lots with their mfr lots and first arrivals, usages, usages
per document, serial moves): those keep fewer entries each, so the entries in memory grow
with the number of items, not with the history. Each value is stored as plain data
(``marshal``): Decimals as their exact strings, moments as ISO times, so a value read back
equals the one stored. What stays in memory whole: each item's arrivals and returns (sorted
per item, read by position), its give-backs per usage, and the taint set.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from .cost_graph import CostGraph
from .cost_index import CostIndex
from .costing import LotCost
from .item import ItemKey
from .lot import CostStatus, Lot, LotKind
from .moment import Moment
from .serials import SerialMove, SerialMoveKind
from .sharing import shared_item
from .spill import ColdStore, Spill, SpillGroup
from .usage import Usage, UsageKind

__all__ = ["CostSpill", "ItemMaps", "spilled_graph"]


def _same(value: Any) -> Any:
    return value


def _moment(at: Moment | None) -> Any:
    return None if at is None else (at.at.isoformat(), at.event_id, at.seq)


def _moment_of(data: Any) -> Moment | None:
    return None if data is None else _moment_at(data)


def _moment_at(data: Any) -> Moment:
    return Moment(datetime.fromisoformat(data[0]), data[1], data[2])


def _number(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _number_of(data: str | None) -> Decimal | None:
    return None if data is None else Decimal(data)


def _lot(lot: Lot) -> Any:
    return (
        lot.lot_id,
        lot.kind.value,
        lot.item.lic,
        lot.item.location,
        lot.document,
        lot.document_line,
        lot.mfr_lot,
        str(lot.received),
        _moment(lot.received_at),
        _number(lot.given_cost),
        _number(lot.cost_share),
    )


def _lot_of(data: Any) -> Lot:
    lot_id, kind, lic, location, document, line, mfr, received, at, given, share = data
    return Lot(
        lot_id,
        LotKind(kind),
        shared_item(lic, location),
        document,
        line,
        mfr,
        Decimal(received),
        _moment_of(at),
        _number_of(given),
        _number_of(share),
    )


def _usage(usage: Usage) -> Any:
    return (
        usage.usage_id,
        usage.kind.value,
        usage.item.lic,
        usage.item.location,
        usage.document,
        usage.document_line,
        str(usage.qty),
        _moment(usage.at),
        usage.mfr_lot,
        usage.serials,
    )


def _usage_of(data: Any) -> Usage:
    usage_id, kind, lic, location, document, line, qty, at, mfr, serials = data
    return Usage(
        usage_id,
        UsageKind(kind),
        shared_item(lic, location),
        document,
        line,
        Decimal(qty),
        _moment_at(at),
        mfr,
        serials,
    )


_DECIMAL = (str, Decimal)
_STR = (_same, _same)
_STRS = (_same, list)
_SET = (list, set)
_NET = (lambda net: [(k, str(v)) for k, v in net.items()], lambda d: {k: Decimal(v) for k, v in d})
_COST = (
    lambda c: (str(c.unit_cost), c.status.value),
    lambda d: LotCost(Decimal(d[0]), CostStatus(d[1])),
)
_AS_OF = (lambda v: (_moment(v[0]), str(v[1])), lambda d: (_moment_of(d[0]), Decimal(d[1])))
_PICKLED = (pickle.dumps, pickle.loads)
_AT = (_moment, _moment_of)
_MOVES = (
    lambda moves: [(m.serial, _moment(m.at), m.kind.value) for m in moves],
    lambda d: [SerialMove(serial, _moment_at(at), SerialMoveKind(kind)) for serial, at, kind in d],
)


@dataclass(frozen=True, slots=True)
class ItemMaps:
    """An item ledger's maps whose entries may leave memory (``ItemLedger``'s fields of the
    same names; ``first``: its allocation state's)."""

    lots: dict[str, Lot]
    mfr: dict[str, str | None]
    first: dict[str, Moment]
    usages: dict[str, Usage]
    documents: dict[str, list[str]]
    serial_moves: dict[str, list[SerialMove]]


class CostSpill(Spill):
    """The cost graph's groups and each item ledger's."""

    __slots__ = ("_items", "_opened", "item_resident")

    def __init__(
        self, groups: list[SpillGroup], store: ColdStore, item_resident: int | None
    ) -> None:
        super().__init__(groups, store)
        self.item_resident = item_resident
        self._items: dict[ItemKey, tuple[SpillGroup, ...]] = {}
        self._opened = 0

    def item_maps(self, item: ItemKey) -> ItemMaps | None:
        """New maps for an item's ledger (``None``: plain dicts).

        A ledger built anew for the item (``CostLedger.restore``) takes new ones: the rows of
        the old ones are dropped.
        """
        if self.item_resident is None:
            return None
        for group in self._items.pop(item, ()):
            group.drop()
            self.groups.remove(group)
        self._opened += 1
        n, store, resident = self._opened, self.store, self.item_resident
        lots = SpillGroup(f"item-lots#{n}", store, [(_lot, _lot_of), _STR, _AT], resident)
        usages = SpillGroup(f"item-usages#{n}", store, [(_usage, _usage_of)], resident)
        documents = SpillGroup(f"item-documents#{n}", store, [_STRS], resident)
        serials = SpillGroup(f"item-serials#{n}", store, [_MOVES], resident)
        groups = (lots, usages, documents, serials)
        self._items[item] = groups
        self.groups += groups
        return ItemMaps(
            lots=lots.members[0],
            mfr=lots.members[1],
            first=lots.members[2],
            usages=usages.members[0],
            documents=documents.members[0],
            serial_moves=serials.members[0],
        )


def spilled_graph(
    store: ColdStore, resident: int, item_resident: int | None = None
) -> tuple[CostGraph, CostSpill]:
    """An empty cost graph whose maps keep cold entries in ``store``, and its spill.

    ``resident``: entries kept in memory per graph map; ``item_resident``: per item ledger
    map (``None``: item ledgers keep theirs whole).
    """
    lot = SpillGroup(
        "lot",
        store,
        [(_lot, _lot_of), _DECIMAL, _DECIMAL, _SET, _DECIMAL, _COST, _STR],
        resident,
    )
    lots, qty, restocked, users, allocated, costs, key_of = lot.members
    usage = SpillGroup("usage", store, [(_usage, _usage_of), _NET, _DECIMAL], resident)
    usages, net, cogs = usage.members
    doc = SpillGroup("document", store, [_STRS, _STRS, _STRS, _AS_OF, _DECIMAL], resident)
    by_doc, rolled, used_by_doc, closes, closed = doc.members
    line = SpillGroup("po_line", store, [_AS_OF, _DECIMAL, _STRS, _PICKLED, _DECIMAL], resident)
    estimates, estimated, key_lots, key_bills, billed = line.members
    bill = SpillGroup("bill", store, [_PICKLED], resident)
    (bills,) = bill.members
    index = CostIndex(
        by_doc=by_doc,
        rolled=rolled,
        used_by_doc=used_by_doc,
        key_lots=key_lots,
        key_of=key_of,
        key_bills=key_bills,
        billed=billed,
    )
    graph = CostGraph(
        lots=lots,
        usages=usages,
        qty=qty,
        restocked=restocked,
        net=net,
        users=users,
        allocated=allocated,
        estimates=estimates,
        closes=closes,
        bills=bills,
        index=index,
        costs=costs,
        cogs=cogs,
        _estimated=estimated,
        _closed=closed,
    )
    return graph, CostSpill([lot, usage, doc, line, bill], store, item_resident)
