"""Business rules an event must satisfy before anything is posted.

The contracts already validate shapes at the edge; these checks guard the rules the ledger's
own invariants depend on, so the pure core is safe whatever feeds it: quantities are
positive (a negative "receipt" would silently invert a movement), line ids are unique within
a list (two lines with one id would merge into one document line), and an adjustment's
consumed/produced lines match its kind.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Protocol

from .errors import EventRejectedError, Reason
from .events import (
    AdjustmentKind,
    AdjustmentPosted,
    Event,
    JobOpened,
    MaterialsConsumed,
    OrderChanged,
    OrderOpened,
    OutputCompleted,
    PurchaseOpened,
    PurchaseOrderChanged,
    PurchaseOrderOpened,
    ShipmentReceived,
    ShipmentReturned,
    ShipmentShipped,
)
from .item import ZERO

__all__ = ["validate"]

# kind → (consumed lines allowed (min, max), produced lines allowed (min, max)); None = any
_SHAPES: dict[AdjustmentKind, tuple[tuple[int, int | None], tuple[int, int | None]]] = {
    AdjustmentKind.INCREASE: ((0, 0), (1, None)),
    AdjustmentKind.BEGINNING_BALANCE: ((0, 0), (1, None)),
    AdjustmentKind.DECREASE: ((1, None), (0, 0)),
    AdjustmentKind.ASSEMBLY: ((1, None), (1, 1)),
    AdjustmentKind.DIVISION: ((1, 1), (1, None)),
}


class _Line(Protocol):
    @property
    def qty(self) -> Decimal: ...


class _Identified(Protocol):
    @property
    def line_id(self) -> str: ...


def validate(event: Event) -> None:
    """Raise :class:`EventRejectedError` if ``event`` breaks one of the rules above."""
    match event:
        case PurchaseOrderOpened() | PurchaseOrderChanged() | OrderOpened() | OrderChanged():
            _check(event.lines)
        case ShipmentReceived() | ShipmentShipped() | ShipmentReturned():
            _check(event.lines)
        case MaterialsConsumed() | OutputCompleted():
            _check(event.lines)
        case JobOpened():
            _check(event.outputs)
            _check(event.inputs)
        case PurchaseOpened():
            _positive(event.lines)
        case AdjustmentPosted():
            _check(event.consumed)
            _check(event.produced)
            _check_shape(event)
        case _:
            pass


class _Checked(_Line, _Identified, Protocol):
    pass


def _check(lines: Iterable[_Checked]) -> None:
    lines = tuple(lines)
    _positive(lines)
    ids = [line.line_id for line in lines]
    duplicates = sorted({line_id for line_id in ids if ids.count(line_id) > 1})
    if duplicates:
        raise EventRejectedError(Reason.DUPLICATE_LINE_ID, f"line ids used twice: {duplicates}")


def _positive(lines: Iterable[_Line]) -> None:
    bad = [str(line.qty) for line in lines if not (line.qty.is_finite() and line.qty > ZERO)]
    if bad:
        raise EventRejectedError(Reason.NON_POSITIVE_QUANTITY, f"quantities must be > 0: {bad}")


def _check_shape(event: AdjustmentPosted) -> None:
    (cmin, cmax), (pmin, pmax) = _SHAPES[event.kind]
    for count, low, high, side in (
        (len(event.consumed), cmin, cmax, "consumed"),
        (len(event.produced), pmin, pmax, "produced"),
    ):
        if count < low or (high is not None and count > high):
            bound = f"{low}..{'' if high is None else high}"
            msg = f"{event.kind} adjustment needs {bound} {side} lines, got {count}"
            raise EventRejectedError(Reason.ADJUSTMENT_SHAPE, msg)
