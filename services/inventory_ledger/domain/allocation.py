"""Allocation: which lots each usage drew its goods from (the rows COGS is computed from).

The steps of one item — a lot gaining quantity (:class:`Supply`), a :class:`~.usage.Usage`,
a customer return (:class:`ReturnLine`) — are processed in :class:`~.moment.Moment` order
(business time, then event id, then line), never in arrival order:

* **available** to a usage at moment *m* is the free quantity (received - drawn + given
  back) of the item's lots whose quantity arrived at a moment before *m*; nothing that
  arrives later is available *at* *m*;
* a usage draws from the available lots: specific identification if it names serials (the
  lots holding them) or an ``mfr_lot`` (lots of that mfr lot), else FIFO (earliest first
  availability first, the default) or LIFO (latest first), configured per item;
* what finds nothing available stays **pending** (unallocated; on_hand may go negative);
* whenever a lot gains free quantity (a supply, a give-back), the pending usages it can
  serve draw from it at that moment, oldest usage first ("allocated automatically when
  goods arrive"). So a usage that precedes every receipt is allocated to the first lot
  that arrives after it, and a later usage never takes goods an older waiting usage needs.

Every row records the moment of the step that made it (``at``), so an item can be
re-allocated from any moment: rows before it stand, rows from it on are recomputed from the
state at that moment (see ``reallocation``). Invariants (domain.md 3): a usage's net
allocation ≤ its net quantity; a lot's net allocation ≤ its quantity; a usage is pending
only while no lot that could serve it has free quantity.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from .frozen import fast_init
from .moment import Moment
from .usage import Usage

__all__ = ["Allocation", "CostingMethod", "GiveBack", "ReturnLine", "Step", "Supply"]


class CostingMethod(StrEnum):
    """Which free lot a usage without specific identification draws from first."""

    FIFO = "fifo"
    LIFO = "lifo"


@fast_init
@dataclass(frozen=True, slots=True, order=True)
class Supply:
    """``qty`` of a lot became available at ``at`` (a receipt, completed output, produced line).

    ``serials`` are the serial numbers that arrived with it (one unit each).
    """

    at: Moment
    lot_id: str
    qty: Decimal
    serials: tuple[str, ...] = ()


@fast_init
@dataclass(frozen=True, slots=True)
class ReturnLine:
    """A customer return line: ``qty`` of the item came back at ``at``.

    ``original`` is the document of the original shipment (``shipment:<id>``) when the
    return names it: its units are given back to the lots that shipment drew from. What
    cannot be given back is restocked into the return's own lot ``lot_id``.
    """

    at: Moment
    lot_id: str
    qty: Decimal
    original: str | None = None
    mfr_lot: str | None = None
    serials: tuple[str, ...] = ()


Step = Supply | Usage | ReturnLine
"""Anything that moves an item's allocation state, processed in ``at`` order."""


@fast_init
@dataclass(frozen=True, slots=True, order=True)
class Allocation:
    """``qty`` of usage ``usage_id`` drawn from lot ``lot_id`` by the step at ``at``.

    At most one row per (step, usage, lot); ``serials`` are the units drawn by serial.
    Invariant: ``qty > 0``.
    """

    at: Moment
    usage_id: str
    lot_id: str
    qty: Decimal
    serials: tuple[str, ...] = ()


@fast_init
@dataclass(frozen=True, slots=True)
class GiveBack:
    """What the return step at ``at`` did with ``qty`` units (a negative usage).

    * ``usage_id`` and ``lot_id``: units given back from that usage to that lot (the lot's
      remaining quantity is restored and that COGS reversed);
    * ``usage_id`` only: units of the usage that had never been allocated are cancelled;
    * ``lot_id`` only: units restocked into the return's own lot.

    Invariant: ``qty > 0`` and at least one of the two ids is set.
    """

    at: Moment
    usage_id: str | None
    lot_id: str | None
    qty: Decimal
    serials: tuple[str, ...] = ()
