"""The cost side of the unit of work: lots, usage, allocations and COGS beside the quantities.

Each process keeps the cost books in memory (a :class:`~..domain.cost_ledger.CostLedger`,
incremental: an event costs what it touches) and the database keeps the **cost log** — every
event the books accepted, in the order applied — with its head position, plus the query rows
(lots, usages, allocations, COGS journal). A batch:

1. locks the log head (one row: cost work is serialized between instances; taken before any
   document or item lock, so the global lock order stays acyclic; ``LedgerUnitOfWork.begin``
   locks it, with the batch's first reads);
2. catches up: events other instances appended since this process's position are applied
   to the in-memory books (from position 0 after a restart or an invalidation);
3. applies its own events (a business-rule violation rejects the event, which then posts
   nothing at all, quantities included);
4. appends them to the log, moves the head, and rewrites exactly the lots and usages the
   events changed (``CostLedger.take_dirty``) plus the new COGS journal entries.

Steps 2 and 3 run the books in batch mode (``CostLedger.begin_batch``): each catch-up chunk,
and the batch's own events, re-allocate a backdated item once and re-cost once, at the end
(``end_batch``), instead of per event. Rules are still checked per event, exactly. The COGS
journal entries of a batch therefore carry the batch's last applied event id and its latest
``occurred_at`` (Σ per usage and lot as per event; see ``CostLedger.end_batch``).

If the transaction does not commit, the in-memory books may be ahead of the database, so
they are dropped and rebuilt from the log by the next batch (:meth:`CostTracker.invalidate`).
"""

from __future__ import annotations

import dataclasses
import gc
import time
import typing
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

import structlog

from inventory_ledger.application.event_codec import encode_event
from inventory_ledger.domain.allocation import CostingMethod
from inventory_ledger.domain.cogs import CogsEntry
from inventory_ledger.domain.cost_ledger import CostLedger
from inventory_ledger.domain.cost_spill import spilled_graph
from inventory_ledger.domain.events import Event
from inventory_ledger.domain.item import ItemKey
from inventory_ledger.domain.lot import LotRecord
from inventory_ledger.domain.spill import ColdStore
from inventory_ledger.domain.usage import UsageRecord

_log: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(__name__)

__all__ = [
    "CATCH_UP_CHUNK",
    "CostLog",
    "CostSession",
    "CostTracker",
    "CostWrite",
    "MethodsByLic",
    "UsageAllocation",
    "names_serials",
    "serial_keys",
]


def names_serials(event: Event) -> bool:
    """Whether any line of ``event`` names a serial (``serial_keys`` is not empty)."""
    for name in _serial_names(type(event)):
        for line in getattr(event, name):
            if line.serials:
                return True
    return False


def serial_keys(event: Event) -> frozenset[str]:
    """The serials an event's lines name, as ``location/lic#serial``."""
    return frozenset(
        f"{line.item}#{serial}"
        for name in _serial_names(type(event))
        for line in getattr(event, name)
        for serial in line.serials
    )


def _serial_names(cls: type) -> tuple[str, ...]:
    names = _SERIAL_LINES.get(cls)
    if names is None:
        names = _SERIAL_LINES[cls] = _serial_fields(cls)
    return names


def _serial_fields(cls: type) -> tuple[str, ...]:
    hints = typing.get_type_hints(cls)
    names = []
    for f in dataclasses.fields(cls):
        args = typing.get_args(hints[f.name])
        line = args[0] if typing.get_origin(hints[f.name]) is tuple and args else None
        if dataclasses.is_dataclass(line) and "serials" in {
            x.name for x in dataclasses.fields(line)
        }:
            names.append(f.name)
    return tuple(names)


_SERIAL_LINES: dict[type, tuple[str, ...]] = {}

CATCH_UP_CHUNK = 5_000
"""Log entries read per round trip while catching up (memory stays bounded by it)."""
FULL_PASS_EVERY_S = 3600.0
"""Seconds between full collector passes over the frozen heap (``CostTracker.settle``)."""


@dataclass(frozen=True, slots=True)
class UsageAllocation:
    """A usage's allocation rows as they are now: (lot id, qty, lot unit cost), by lot id."""

    usage_id: str
    rows: tuple[tuple[str, Decimal, Decimal], ...]


@dataclass(frozen=True, slots=True)
class CostWrite:
    """What a batch writes on the cost side, after the log entries at ``start + 1`` on."""

    start: int
    events: tuple[Event, ...] = ()
    texts: tuple[str, ...] = ()
    """``events`` encoded for the log (``event_codec.encode_event``), one per event, in order."""
    lots: tuple[LotRecord, ...] = ()
    gone_lots: tuple[str, ...] = ()
    """Lots that no longer exist (a return lot given back whole)."""
    usages: tuple[UsageRecord, ...] = ()
    allocations: tuple[UsageAllocation, ...] = ()
    cogs: tuple[CogsEntry, ...] = ()
    items: tuple[tuple[str, str, int], ...] = ()
    """(lic, location, log position) of every item each logged event's facts touched."""

    @property
    def head(self) -> int:
        return self.start + len(self.events)


class ScratchStore(ColdStore, Protocol):
    """A cold store the tracker deletes when it drops the books it serves."""

    def close(self) -> None:
        """Delete what it holds."""


class CostLog(Protocol):
    """The cost log and rows, inside the unit of work's transaction."""

    async def cost_events_after(self, position: int, limit: int) -> Sequence[Event]:
        """Up to ``limit`` logged events after ``position``, in log order."""
        ...

    async def history(
        self, items: Sequence[ItemKey], up_to: int
    ) -> Mapping[ItemKey, Sequence[Event]]:
        """Per item, the logged events at positions up to ``up_to`` that name it, in order
        (each item of ``items`` is a key, with no events if none names it)."""
        ...

    async def save_costs(self, write: CostWrite) -> None:
        """Append ``write.events`` at ``start + 1`` on, move the head, rewrite the rows."""
        ...

    async def parked_for(self, serials: Sequence[str]) -> Sequence[Event]:
        """Parked events that name any of ``serials`` (:func:`serial_keys`)."""
        ...

    async def park(self, events: Sequence[tuple[Event, str]]) -> None:
        """Park events rejected for a curable reason (a redelivered one is parked once)."""
        ...

    async def unpark(self, event_ids: Sequence[str]) -> None:
        """These parked events were applied: forget them, mark their dead letters replayed."""
        ...


class MethodsByLic(Mapping[ItemKey, CostingMethod]):
    """Costing methods configured per lic, for every location of it (FIFO when absent)."""

    def __init__(self, by_lic: Mapping[str, str]) -> None:
        self._by_lic = {lic: CostingMethod(method.lower()) for lic, method in by_lic.items()}

    def __getitem__(self, item: ItemKey) -> CostingMethod:
        return self._by_lic[item.lic]

    def __iter__(self) -> Iterator[ItemKey]:
        return iter(())  # keyed by lic: the items are not known in advance

    def __len__(self) -> int:
        return 0

    def __contains__(self, item: object) -> bool:
        return isinstance(item, ItemKey) and item.lic in self._by_lic

    def get(self, item: ItemKey, default: Any = None) -> Any:
        return self._by_lic.get(item.lic, default)


@dataclass
class CostTracker:
    """This process's cost books and the log position they reflect."""

    methods: Mapping[ItemKey, CostingMethod] = field(default_factory=dict)
    ledger: CostLedger = field(init=False)
    position: int = field(init=False, default=0)
    rebuilds: int = field(init=False, default=0)
    """How many times the books were (re)built from position 0 (the first start counts)."""
    settles: int = field(init=False, default=0)
    history_steps: int = 0
    """Steps of each item's allocation history kept in memory (0: all). An item drops the
    older ones once it has twice as many (``CostLedger.compact``); an event that reaches
    back into them makes the batch read the item's logged events and rebuild it."""
    ahead: bool = field(init=False, default=False)
    """The books may hold work no transaction committed (a catch-up chunk being applied, or
    the open batch's events until its unit of work commits): a failure then must drop them
    (:meth:`failed`). A failure before, e.g. while waiting for the log head, must not:
    rebuilding the books from the log takes minutes over a long history, under the head
    lock, and the other instances' batches would time out waiting and drop theirs in turn."""
    restores: int = field(init=False, default=0)
    """How many times an item was rebuilt from the log (a late event reached dropped steps)."""
    resident_entries: int = 0
    """Entries of each cost graph map kept in memory (0: all); the older ones move to a
    scratch file between batches (``cold_store``) and are read back when an event reaches
    them (``domain/spill``). With ``history_steps`` too, each item ledger keeps at most twice
    as many lots and usages in memory."""
    cold_store: Callable[[], ScratchStore] | None = field(default=None, repr=False)
    full_pass_every_s: float = FULL_PASS_EVERY_S
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)
    _last_full_pass: float = field(init=False, default=0.0)
    _store: ScratchStore | None = field(init=False, default=None, repr=False)

    def __post_init__(self) -> None:
        # a placeholder: position -1 makes the first batch build the books anew (reset), so
        # no scratch file is opened for it
        self.ledger = CostLedger(methods=self.methods)
        self.position = -1  # unknown: the first batch builds from the log
        self._last_full_pass = self.clock()

    def invalidate(self) -> None:
        """The books may be ahead of the database: rebuild them from the log next time.

        An open batch is dropped with them (never ended: its deferred work is for books that
        will not be used again).
        """
        self.ledger.drop_batch()
        self.position = -1
        self.ahead = False
        gc.unfreeze()  # the books about to be dropped become collectable again (see below)

    def settle(self) -> None:
        """The books are at ``position``: take what they hold out of the collector's passes.

        The books are many small, long-lived objects (lots, usages, allocations, indexes).
        CPython's cyclic collector walks every tracked object on each full pass, and passes
        come more often as the heap grows, so with the books in the heap the collector took
        40-50 % of the cost fold's CPU (``bench/cost_replay.py``). ``gc.freeze`` moves the
        survivors to the permanent generation, which no pass walks; they are still freed by
        reference counting. :meth:`invalidate` unfreezes, so books that are dropped (and any
        cycle among them) are collected as usual; and every ``full_pass_every_s`` one full pass
        runs over everything, so cyclic garbage frozen beside the books (a batch's short-lived
        objects alive at the freeze, or in a cycle the young passes did not reach yet) does not
        pile up. There is little of it: 14 unreachable objects in 40 batches of 500 events.
        The full pass ran every 256 settles; with the small batches of a live stream that was
        every few seconds, and a full pass over the books of 20k events stalled the batch for
        250 ms (p99 latency). A young pass before each freeze, to free the batch's cycles
        first, cost 5 ms per batch of 500 for those 14 objects, so there is none.
        """
        self.settles += 1
        # The processed ids are the pure fold's guard against a duplicate; here the database
        # is: a batch applies only events not claimed yet, in the transaction that claims
        # them, and the cost log refuses an event id twice (unique). Kept, they grew with
        # history (about 75 bytes per event); within a batch they still guard.
        self.ledger.processed.clear()
        if self.history_steps:
            self.ledger.compact(self.history_steps)
        if self.ledger.spill is not None:
            self.ledger.spill.trim()
        now = self.clock()
        if now - self._last_full_pass >= self.full_pass_every_s:
            self._last_full_pass = now
            gc.unfreeze()
            gc.collect()
        gc.freeze()

    def reset(self) -> None:
        """Start the books anew, at position 0 (:meth:`catch_up` then builds them)."""
        self.ledger = self._new_ledger()
        self.position = 0
        self.ahead = False
        self.rebuilds += 1

    def close(self) -> None:
        """Delete the scratch file of the books' cold entries, if any."""
        if self._store is not None:
            self._store.close()
            self._store = None

    def _new_ledger(self) -> CostLedger:
        self.close()
        if not self.resident_entries or self.cold_store is None:
            return CostLedger(methods=self.methods)
        self._store = self.cold_store()
        # an item ledger keeps up to twice as many entries per map as it keeps steps
        graph, spill = spilled_graph(
            self._store,
            self.resident_entries,
            item_resident=2 * self.history_steps if self.history_steps else None,
        )
        return CostLedger(methods=self.methods, graph=graph, spill=spill)

    async def catch_up(self, log: CostLog) -> int:
        """Apply the next logged events after ``position`` (up to a chunk); how many.

        Logged entries are committed and never change, so this needs no lock: a process whose
        books were dropped builds most of them before it takes the head (``apply_batch``),
        and other instances' batches do not wait for that.
        """
        events = await log.cost_events_after(self.position, CATCH_UP_CHUNK)
        if not events:
            return 0
        await self.restore(log, events, self.position)
        ledger = self.ledger
        self.ahead = True
        ledger.begin_batch()  # one re-allocation per backdated item, one settle, per chunk
        for event in events:
            # accepted once (some only together with others): replayed as they are
            ledger.apply(event, serials_checked=True, validated=True)
        ledger.end_batch()  # its journal entries were written by the batches that logged them
        self.position += len(events)
        self.ahead = False
        self.settle()
        return len(events)

    async def begin(self, log: CostLog, head: int) -> CostSession:
        """Bring the books to the log's ``head`` (locked by the caller: entries 1..head exist)."""
        if self.position < 0 or self.position > head:
            self.reset()
        while self.position < head:
            if not await self.catch_up(log):
                raise RuntimeError(f"cost log ends at {self.position}, its head says {head}")
        self.ledger.take_dirty()  # rows of caught-up events were written by their batch
        self.ahead = True  # until the unit of work commits (:meth:`committed`)
        self.ledger.begin_batch()  # the batch's own events: ended by CostSession.commit
        return CostSession(self, log, head)

    def failed(self) -> None:
        """The unit of work failed: drop the books if they may be ahead of what committed."""
        if self.ahead:
            self.invalidate()

    def committed(self) -> None:
        """The unit of work that ran the open batch committed: the books are the log's."""
        self.ahead = False

    async def restore(self, log: CostLog, events: Sequence[Event], up_to: int) -> None:
        """Rebuild the items whose dropped history ``events`` may reach, from the log up to
        ``up_to`` (where the books were when the open batch began)."""
        items = sorted(self.ledger.needs_history(events))
        if not items:
            return
        history = await log.history(items, up_to)
        for item in items:
            self.ledger.restore(item, history[item])
        self.restores += len(items)
        _log.info("cost_history_restored", items=len(items), up_to=up_to)


@dataclass
class CostSession:
    """One batch's cost work: apply events, then write what they changed."""

    tracker: CostTracker
    log: CostLog
    start: int
    events: list[Event] = field(default_factory=list)
    cogs: list[CogsEntry] = field(default_factory=list)
    encoded: dict[str, str] = field(default_factory=dict)
    """Events already encoded by the caller (by event_id): their log text is not made again."""

    async def prepare(self, events: Sequence[Event]) -> None:
        """Before applying ``events`` (in any order, any of them): rebuild what they reach."""
        await self.tracker.restore(self.log, events, self.start)

    def apply(self, event: Event) -> None:
        """Apply ``event`` to the books; a business-rule violation raises, changing nothing.

        The books are in batch mode (``CostTracker.begin``): re-allocation and re-costing
        wait for :meth:`commit`, the rule checks do not.
        """
        changes = self.tracker.ledger.apply(event, validated=True)  # post() validated it
        self.events.append(event)
        self.cogs.extend(changes.cogs)  # none in batch mode: commit adds the batch's

    def apply_together(self, events: Sequence[Event]) -> None:
        """Apply events whose serial stories only hold together (or raise, changing nothing)."""
        changes = self.tracker.ledger.apply_together(events, validated=True)
        self.events.extend(sorted(events, key=lambda e: (e.occurred_at, e.event_id)))
        for change in changes:
            self.cogs.extend(change.cogs)

    async def commit(self) -> CostWrite:
        """End the batch, then write the log entries and the changed rows (in the unit of work).

        Ending the batch re-allocates the backdated items and settles costs once; its journal
        entries join the write (the events applied in the batch posted none of their own).
        """
        ledger = self.tracker.ledger
        touched = ledger.batch_items()
        items = tuple(
            (item.lic, item.location, self.start + n)
            for n, event in enumerate(self.events, 1)
            for item in touched.get(event.event_id, ())
        )
        self.cogs.extend(ledger.end_batch().cogs)
        dirty_lots, dirty_usages = ledger.take_dirty()
        lots, gone = [], []
        for lot_id in sorted(dirty_lots):
            record = ledger.lot_record(lot_id)
            if record is None:
                gone.append(lot_id)
            else:
                lots.append(record)
        usages = [ledger.usage_record(usage_id) for usage_id in sorted(dirty_usages)]
        encoded = self.encoded
        write = CostWrite(
            start=self.start,
            events=tuple(self.events),
            texts=tuple(encoded.get(e.event_id) or encode_event(e) for e in self.events),
            lots=tuple(lots),
            gone_lots=tuple(gone),
            usages=tuple(u for u in usages if u is not None),
            allocations=tuple(
                UsageAllocation(usage_id, ledger.allocation_rows(usage_id))
                for usage_id in sorted(dirty_usages)
            ),
            cogs=tuple(self.cogs),
            items=items,
        )
        if write.events:
            await self.log.save_costs(write)
        self.tracker.position = write.head
        self.tracker.settle()
        return write
