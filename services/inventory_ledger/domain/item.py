"""Items and the three balance buckets every ledger transaction moves.

An item is a line item code (``lic``) at one ``location``; the ledger keeps one balance per
item and bucket. The bucket names are the seed's own: ``on_hand`` (goods in stock),
``on_order`` (goods coming in: open PO lines and planned job outputs, never negative) and
``demand`` (goods promised out: open order lines and planned job inputs, never positive).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Final

__all__ = ["ZERO", "Bucket", "ItemKey"]

ZERO: Final = Decimal(0)
"""The additive identity every quantity sum starts from."""


class Bucket(StrEnum):
    """A balance of an item that transactions move."""

    ON_HAND = "on_hand"
    ON_ORDER = "on_order"
    DEMAND = "demand"


@dataclass(frozen=True, slots=True, order=True)
class ItemKey:
    """An inventoried item at one location: the unit every balance is kept for.

    Ordered (by ``lic``, then ``location``) so that anything iterating items, such as
    lock acquisition in the store, can do so in one deterministic order.
    """

    lic: str
    location: str = "main"

    def __str__(self) -> str:
        """The outbound message key of the item's balance changes: ``{location}/{lic}``."""
        return f"{self.location}/{self.lic}"
