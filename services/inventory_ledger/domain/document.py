"""A document (PO, order, job) as the consistency boundary of ``on_order`` and ``demand``.

The document, not the line, is the unit the store loads and locks: cancel, close and a
"changed" event act on *all* its lines, which such an event does not name. Each line's
contribution to its bucket is a pure function of the document's state (see
:func:`contributions`); posting an event posts only the difference before/after.

Fulfilment that names no line of the document (a receipt line without ``po_line_id``, a
consumption without ``input_line_id``...) is kept *unassigned* per role and item and credited
to the document's open lines of that item in line-key order (line ids compare as strings).
It is part of the state, not of the arrival order, so it too is order independent.

A fulfilment naming a line the document never lists is kept on that (unlisted) line and
contributes nothing; a fulfilment with a different item than its line still fulfils the line
(a substitute relieves what was ordered; its goods move ``on_hand`` of what arrived).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from .document_line import DocumentKey, LineKey, LineRole, LineState
from .item import ZERO, ItemKey

__all__ = [
    "DocumentState",
    "DocumentStatus",
    "PlannedLine",
    "Unassigned",
    "contributing_lines",
    "contributions",
    "finish",
    "fulfil",
    "plan",
]

PlannedLine = tuple[str, ItemKey, Decimal]
"""(line_id, item, ordered qty) as listed by an opening or changed event."""


class DocumentStatus(StrEnum):
    """Open documents contribute their open quantities; cancelled and closed ones nothing."""

    OPEN = "open"
    CANCELLED = "cancelled"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True, order=True)
class Unassigned:
    """Fulfilment of ``qty`` of ``item`` against the document but against no named line."""

    role: LineRole
    item: ItemKey
    qty: Decimal


@dataclass(frozen=True, slots=True)
class DocumentState:
    """Everything the quantity side knows about one document.

    ``opened`` says an opening (or changed) event has been seen. ``lines`` are sorted by key
    and ``unassigned`` by (role, item), so equal knowledge gives equal (``==``) states.
    """

    key: DocumentKey
    opened: bool = False
    status: DocumentStatus = DocumentStatus.OPEN
    lines: tuple[LineState, ...] = ()
    unassigned: tuple[Unassigned, ...] = ()

    def line(self, key: LineKey) -> LineState:
        """The state of one line; a line never heard of is empty."""
        for line in self.lines:
            if line.key.line_id == key.line_id and line.key == key:  # cheap test first
                return line
        return LineState(key)


def plan(
    document: DocumentState, planned: Mapping[LineRole, Sequence[PlannedLine]]
) -> DocumentState:
    """Apply an opening or changed event: for each role given, ``planned`` is the full plan.

    A listed line takes the new item and ordered quantity and keeps what was fulfilled; a
    line of that role the plan no longer lists drops to ordered 0 (removed).
    """
    # keyed by (role, line_id), plain strings: one document's lines, hashed without LineKey
    lines = {(line.key.role, line.key.line_id): line for line in document.lines}
    for role, role_lines in planned.items():
        listed = {line_id: (item, qty) for line_id, item, qty in role_lines}
        for (line_role, line_id), line in lines.items():
            if line_role == role and line_id not in listed and line.listed:
                lines[line_role, line_id] = LineState(line.key, line.item, ZERO, line.fulfilled)
        for line_id, (item, qty) in listed.items():
            known = lines.get((role, line_id))
            if known is None:
                lines[role, line_id] = LineState(LineKey(document.key, role, line_id), item, qty)
            else:
                lines[role, line_id] = LineState(known.key, item, qty, known.fulfilled)
    ordered = tuple(lines[line_key] for line_key in sorted(lines))
    return DocumentState(document.key, True, document.status, ordered, document.unassigned)


def fulfil(
    document: DocumentState, role: LineRole, line_id: str | None, item: ItemKey, qty: Decimal
) -> DocumentState:
    """Record ``qty`` fulfilled against line ``line_id`` (or unassigned when ``None``)."""
    if line_id is None:
        pool = {(u.role, u.item): u.qty for u in document.unassigned}
        pool[role, item] = pool.get((role, item), ZERO) + qty
        unassigned = tuple(sorted(Unassigned(r, i, q) for (r, i), q in pool.items()))
        return DocumentState(
            document.key, document.opened, document.status, document.lines, unassigned
        )
    lines = document.lines
    for n, line in enumerate(lines):
        if line.key.line_id == line_id and line.key.role == role:
            # replaced in place: the order by (role, line_id) is unchanged
            updated = LineState(line.key, line.item, line.ordered, line.fulfilled + qty)
            lines = (*lines[:n], updated, *lines[n + 1 :])
            break
    else:  # a line never heard of: empty until now (ZERO + qty, as a known line would sum)
        unheard = LineState(LineKey(document.key, role, line_id), fulfilled=ZERO + qty)
        lines = _sorted((*lines, unheard))
    return DocumentState(document.key, document.opened, document.status, lines, document.unassigned)


def finish(document: DocumentState, status: DocumentStatus) -> DocumentState:
    """Cancel or close the document: none of its lines contributes any more."""
    return DocumentState(document.key, document.opened, status, document.lines, document.unassigned)


def contributions(document: DocumentState) -> dict[tuple[LineKey, ItemKey], Decimal]:
    """Each line's signed contribution to its bucket (``LineKey.role.bucket``); zeros omitted.

    Open document: a line contributes ``sign * open_qty`` on its item, less its share of the
    unassigned fulfilment of that role and item. Cancelled, closed or not yet opened: nothing.
    Invariant: PO line / job output contributions are >= 0, order line / job input <= 0.
    """
    return {(key, item): qty for key, item, qty in contributing_lines(document)}


def contributing_lines(document: DocumentState) -> list[tuple[LineKey, ItemKey, Decimal]]:
    """:func:`contributions` as ``(line, item, qty)`` in line order, built without hashing keys.

    The posting rules diff these for every event, so lines are matched by position, not by
    ``LineKey`` (whose dataclass hash is the costly part of a dict keyed by it).
    """
    if not document.opened or document.status is not DocumentStatus.OPEN:
        return []
    if not document.unassigned:  # the common case: each line contributes its own open qty
        return [
            (line.key, line.item, line.key.role.sign * line.open_qty)
            for line in document.lines
            if line.item is not None and line.ordered > line.fulfilled
        ]
    listed = [line for line in document.lines if line.item is not None]
    remaining = [line.open_qty for line in listed]
    for pool in document.unassigned:
        left = pool.qty
        for n, line in enumerate(listed):  # lines are kept in key order
            if left > ZERO and line.key.role is pool.role and line.item == pool.item:
                take = min(left, remaining[n])
                remaining[n] -= take
                left -= take
    return [
        (line.key, line.item, line.key.role.sign * qty)
        for line, qty in zip(listed, remaining, strict=True)
        if qty != ZERO and line.item is not None
    ]


def _sorted(lines: Iterable[LineState]) -> tuple[LineState, ...]:
    # one document's lines: (role, line_id) orders them as LineKey does, only cheaper
    return tuple(sorted(lines, key=lambda line: (line.key.role, line.key.line_id)))
