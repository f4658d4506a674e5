"""Serial numbers and manufacturer lots: per-serial stock state and the rules it enforces.

Each serial of an item has a timeline of moves in business-time order: ``receipt`` (received
from a vendor, completed by a job, produced by an adjustment), ``out`` (shipped, consumed)
and ``return`` (sent back by a customer). Walking it from "never seen": a receipt needs the
serial not in stock, an out needs it in stock, a return needs it out of stock after an out.
An event is rejected (:class:`~.cost_errors.BusinessRuleViolation`) if adding its moves to
the known timelines breaks any of these rules anywhere — the event that breaks the story is
the one refused, never an earlier accepted one, and nothing is silently fixed.

The check is by business time, so a serial shipped, then received by a *backdated* receipt
that arrives later, is fine in any arrival order of the two *after* both are known; what it
cannot know is an event not yet seen: a shipment arriving before its serial's receipt is
refused (and replayable from the dead letters once the receipt is in). The simulator and
producers send a serial's events in causal order, which is what makes this safe.

A return of an item tracked by manufacturer lot must name the lot; which items are tracked is
configuration (like the costing method) so the rule does not depend on arrival order; when
not configured it is inferred from the lots known so far (any carrying an mfr lot). A line
with serials must list exactly one serial per unit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from .cost_errors import BusinessRuleViolation, CostReason
from .frozen import fast_init
from .item import ItemKey
from .lot import Lot
from .moment import Moment

__all__ = [
    "SerialMove",
    "SerialMoveKind",
    "check_lines",
    "check_serials",
    "in_stock",
    "move_order",
]


class SerialMoveKind(StrEnum):
    """What happened to one serial."""

    RECEIPT = "receipt"
    OUT = "out"
    RETURN = "return"


@fast_init
@dataclass(frozen=True, slots=True, order=True)
class SerialMove:
    """Serial ``serial`` of an item moved (``kind``) at ``at``."""

    serial: str
    at: Moment
    kind: SerialMoveKind


def check_lines(
    item: ItemKey,
    lines: Iterable[tuple[Decimal, tuple[str, ...], str | None, bool]],
    lots: Mapping[str, Lot],
    tracked: bool | None = None,
) -> None:
    """Check ``(qty, serials, mfr_lot, is_return)`` lines of one item against its ``lots``.

    ``tracked`` says whether the item is tracked by mfr lot (configuration); ``None`` infers
    it from the known lots (any carrying an mfr lot), which depends on what has arrived.
    """
    if tracked is None:
        tracked = any(lot.mfr_lot is not None for lot in lots.values())
    for qty, serials, mfr_lot, is_return in lines:
        if serials and Decimal(len(serials)) != qty:
            msg = f"{item}: {len(serials)} serials listed for a quantity of {qty}"
            raise BusinessRuleViolation(CostReason.SERIAL_COUNT_MISMATCH, msg)
        if is_return and tracked and mfr_lot is None:
            msg = f"{item} is tracked by manufacturer lot; the return must name its lot"
            raise BusinessRuleViolation(CostReason.MFR_LOT_REQUIRED, msg)


def check_serials(item: ItemKey, known: Iterable[SerialMove], new: Iterable[SerialMove]) -> None:
    """Raise if the serial timelines of ``item`` with ``new`` moves break a rule."""
    added = tuple(new)
    named = {move.serial for move in added}
    timelines: dict[str, list[SerialMove]] = {}
    for move in (*known, *added):
        if move.serial in named:
            timelines.setdefault(move.serial, []).append(move)
    for serial in sorted(timelines):
        _walk(item, sorted(timelines[serial], key=move_order))


def move_order(move: SerialMove) -> tuple[str, tuple[datetime, str, str], str]:
    """A move's place in :class:`SerialMove` order, as a plain tuple (compared in C, not
    through the dataclass's and the moment's ``__lt__``)."""
    at = move.at
    return (move.serial, (at.at, at.event_id, at.seq), move.kind)


def in_stock(moves: Iterable[SerialMove]) -> frozenset[str]:
    """The serials whose latest move put them in stock (the per-serial on-hand state)."""
    latest: dict[str, SerialMove] = {}
    for move in sorted(moves):
        latest[move.serial] = move
    return frozenset(s for s, move in latest.items() if move.kind is not SerialMoveKind.OUT)


def _walk(item: ItemKey, timeline: list[SerialMove]) -> None:
    stocked = shipped = False
    for move in timeline:
        broken: tuple[CostReason, str] | None = None
        if move.kind is SerialMoveKind.RETURN and not shipped:
            broken = (CostReason.SERIAL_NOT_SHIPPED, "never shipped")
        elif move.kind is SerialMoveKind.OUT:
            if not stocked:
                broken = (CostReason.SERIAL_NOT_IN_STOCK, "not in stock")
            stocked, shipped = False, True
        elif stocked:
            broken = (CostReason.SERIAL_ALREADY_IN_STOCK, "already in stock")
        else:
            stocked = True
        if broken is not None:
            reason, what = broken
            where = f"serial {move.serial} of {item} at {move.at}"
            raise BusinessRuleViolation(reason, f"{where}: {what}")
