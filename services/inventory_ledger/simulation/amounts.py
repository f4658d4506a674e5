"""Quantities and money as integers, printed as the contract's decimal strings.

The simulator counts quantities in thousandths and money in cents so that its arithmetic is
exact and cheap (no float drift, no ``Decimal`` on the hot path); the wire format is a
decimal string with at most 3 (quantity) or 2 (money) decimal places, always positive.
"""

from __future__ import annotations

__all__ = ["MILLI", "money", "qty"]

MILLI = 1000
"""One unit of quantity, in the simulator's integer thousandths."""


def qty(milli: int) -> str:
    """``2500`` → ``"2.5"``, ``3000`` → ``"3"``; only positive quantities reach the wire."""
    text = _QTY.get(milli)
    if text is None:
        text = _QTY[milli] = _format_qty(milli)
    return text


_QTY: dict[int, str] = {}
"""Formatted quantities; a run uses a few thousand distinct values over and over."""


def _format_qty(milli: int) -> str:
    if milli <= 0:
        raise ValueError(f"quantity must be positive, got {milli} thousandths")
    whole, frac = divmod(milli, MILLI)
    if not frac:
        return str(whole)
    return f"{whole}.{frac:03d}".rstrip("0")


def money(cents: int) -> str:
    """``1234`` → ``"12.34"``; costs are positive in this simulation."""
    if cents <= 0:
        raise ValueError(f"amount must be positive, got {cents} cents")
    whole, frac = divmod(cents, 100)
    return f"{whole}.{frac:02d}"
