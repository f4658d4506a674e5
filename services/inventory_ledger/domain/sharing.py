"""One shared instance per equal immutable value the books keep by the hundred thousand.

The cost books hold every lot, usage and allocation of history (docs/cost-side.md), and most
of their quantities, item keys and line numbers repeat: ``Decimal("1")`` about once every three
events, the same ``ItemKey`` and ``"0:1"`` on every line. Each repeat parsed or computed anew
is its own object (104 bytes a ``Decimal``, 48 an ``ItemKey`` besides its two strings), so the
books keep one instance per value instead. The values are immutable and compared by value, so
sharing them changes nothing but memory.

A ``Decimal`` is shared by its exact representation (``str``), never by equality: ``1`` and
``1.0`` are equal but print, and are stored, differently. The tables are bounded; past the
bound a value is kept as it is (still correct, just not shared).
"""

from __future__ import annotations

import sys
from decimal import Decimal
from typing import Final

from .item import ItemKey

__all__ = ["shared_decimal", "shared_item", "shared_text"]

_LIMIT: Final = 1 << 16

_DECIMALS: dict[str, Decimal] = {}
_ITEMS: dict[tuple[str, str], ItemKey] = {}

shared_text: Final = sys.intern
"""The one instance of a string (CPython frees an interned string no one holds)."""


def shared_decimal(value: Decimal) -> Decimal:
    """The shared instance of ``value``'s exact representation (``value`` past the bound)."""
    text = str(value)
    found = _DECIMALS.get(text)
    if found is not None:
        return found
    if len(_DECIMALS) < _LIMIT:
        _DECIMALS[text] = value
    return value


def shared_item(lic: str, location: str) -> ItemKey:
    """The shared ``ItemKey`` of ``lic`` at ``location``."""
    found = _ITEMS.get((lic, location))
    if found is not None:
        return found
    item = ItemKey(sys.intern(lic), sys.intern(location))
    if len(_ITEMS) < _LIMIT:
        _ITEMS[item.lic, item.location] = item
    return item
