"""What is physically on the shelves, in business time, as the simulator sees it.

The simulator only ships, consumes or decreases what this record says is in stock at the
event's business time, so the stream never sends a serial that is not on hand and never drives
on-hand negative in business-time order. Serials that leave to customers are remembered so
that only shipped serials come back as returns.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from itertools import islice
from typing import NamedTuple

from .catalog import Item

__all__ = ["Held", "Pick", "Stock"]

_NO_LOT = ""
_MAX_HELD = 20_000
_RECENT = 500


class Pick(NamedTuple):
    """Quantity taken from (or put back into) one manufacturer lot or one set of serials."""

    milli: int
    mfr_lot: str | None = None
    serials: tuple[str, ...] | None = None


@dataclass(slots=True)
class Held:
    """Goods of one shipment line that are with the customer and may come back."""

    item: Item
    location: str
    milli: int
    mfr_lot: str | None
    serials: list[str] | None


class Stock:
    """On-hand quantities per (lic, location), by manufacturer lot and serial number."""

    def __init__(self, tag: str = "01") -> None:
        self._tag = tag
        self._lots: dict[tuple[str, str], dict[str, int]] = {}
        self._serials: dict[tuple[str, str], dict[str, None]] = {}
        self._serial_seq = 0
        self._lot_seq = 0
        self._held: dict[str, tuple[str | None, list[Held]]] = {}
        self._recent: deque[str] = deque(maxlen=_RECENT)

    def ship(self, shipment_id: str, order_id: str | None, held: list[Held]) -> None:
        """Remember what a shipment took to the customer, for later returns."""
        self._held[shipment_id] = (order_id, held)
        self._recent.append(shipment_id)
        if len(self._held) > _MAX_HELD:
            del self._held[next(iter(self._held))]

    def held(self, shipment_id: str) -> tuple[str | None, list[Held]]:
        """Order id and the still-returnable lines of a shipment (empty when all came back)."""
        order_id, lines = self._held.get(shipment_id, (None, []))
        return order_id, [h for h in lines if h.milli > 0]

    def recent_shipment(self, pick: int) -> str | None:
        """One of the recent shipments (``pick`` chooses which), or None before any."""
        if not self._recent:
            return None
        return self._recent[pick % len(self._recent)]

    def take_back(self, held: Held, milli: int) -> Pick:
        """A customer returns ``milli`` of ``held``: back on the shelf, same lot or serials."""
        if held.serials is not None:
            units = max(1, min(milli // 1000, len(held.serials)))
            back = tuple(held.serials[:units])
            del held.serials[:units]
            pick = Pick(units * 1000, serials=back)
        else:
            pick = Pick(min(milli, held.milli), mfr_lot=held.mfr_lot)
        held.milli -= pick.milli
        self.put(held.item, held.location, pick)
        return pick

    def on_hand(self, item: Item, location: str) -> int:
        """Thousandths on hand of ``item`` at ``location``."""
        key = (item.lic, location)
        if item.tracking == "serial":
            return len(self._serials.get(key, ())) * 1000
        return sum(self._lots.get(key, {}).values())

    def new_serials(self, item: Item, units: int) -> tuple[str, ...]:
        """Fresh serial numbers, unique across the whole run (the site tag is in them)."""
        first = self._serial_seq + 1
        self._serial_seq += units
        tag = self._tag
        return tuple(f"{item.lic}-SN{tag}-{n:06d}" for n in range(first, first + units))

    def new_mfr_lot(self, prefix: str) -> str:
        """A fresh manufacturer lot code (vendor lots ``M…``, production lots ``P…``)."""
        self._lot_seq += 1
        return f"{prefix}{self._tag}-{self._lot_seq:06d}"

    def put(self, item: Item, location: str, pick: Pick) -> None:
        """Add received, produced or returned goods."""
        key = (item.lic, location)
        if pick.serials is not None:
            shelf = self._serials.setdefault(key, {})
            for serial in pick.serials:
                shelf[serial] = None
            return
        lots = self._lots.setdefault(key, {})
        lot = pick.mfr_lot or _NO_LOT
        lots[lot] = lots.get(lot, 0) + pick.milli

    def take(self, item: Item, location: str, milli: int) -> list[Pick]:
        """Remove up to ``milli`` first-in first-out; what was taken, one pick per lot.

        Serialized items are taken in whole units only; the result is empty when nothing of
        the item is on hand.
        """
        key = (item.lic, location)
        if item.tracking == "serial":
            shelf = self._serials.get(key)
            units = min(milli // 1000, len(shelf)) if shelf else 0
            if not shelf or units == 0:
                return []
            serials = tuple(islice(shelf, units))
            for serial in serials:
                del shelf[serial]
            return [Pick(units * 1000, serials=serials)]
        lots = self._lots.get(key)
        if not lots:
            return []
        lot = next(iter(lots))
        have = lots[lot]
        if have > milli:  # the common case: the oldest lot covers it
            lots[lot] = have - milli
            return [Pick(milli, lot or None)]
        picks: list[Pick] = []
        for lot in list(lots):
            if milli <= 0:
                break
            have = lots[lot]
            used = min(have, milli)
            milli -= used
            if used == have:
                del lots[lot]
            else:
                lots[lot] = have - used
            if used > 0:
                picks.append(Pick(used, mfr_lot=lot or None))
        return picks
