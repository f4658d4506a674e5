"""The unit of work: a batch of events in, one database transaction, changes out.

For a batch: lock the cost log head and bring the cost books to it (when cost tracking is
on), skip events already processed (a reused ``event_id`` with other content is a conflict →
dead letter), lock the documents and items the rest touch (sorted: no lock-order cycles
between instances), post each event with the pure quantity core and the cost books, write
document states, ledger transactions, balances + versions + outbox rows, the cost log and
rows, and the processed-event claims, and commit. A rejected event (business rule) becomes a
dead letter in the same transaction and posts nothing on either side; the others proceed. A
serial-rule rejection that a later event can cure is also parked and retried (``CURABLE``).
Serialization failures, deadlocks and a concurrent claim of the same event redo the whole
batch: nothing is half-written, nothing is counted twice.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from inventory_ledger.application.balance_change import BalanceChange, VersionedBalance
from inventory_ledger.application.cost_tracking import (
    CATCH_UP_CHUNK,
    CostSession,
    CostTracker,
    names_serials,
    serial_keys,
)
from inventory_ledger.application.dead_letter import DeadLetter, MessageSource
from inventory_ledger.application.event_codec import encode_event
from inventory_ledger.application.ports import (
    Claim,
    LedgerStore,
    LedgerUnitOfWork,
    RetryableConflictError,
)
from inventory_ledger.domain.balance import Balance
from inventory_ledger.domain.cost_errors import BusinessRuleViolation, CostReason
from inventory_ledger.domain.document import DocumentState
from inventory_ledger.domain.document_line import DocumentKey
from inventory_ledger.domain.errors import EventRejectedError
from inventory_ledger.domain.events import Event
from inventory_ledger.domain.item import ZERO, Bucket, ItemKey
from inventory_ledger.domain.posting import affected_documents, post
from inventory_ledger.domain.transaction import Transaction

__all__ = ["BatchResult", "Inbound", "Rejection", "apply_batch", "fingerprint"]


def fingerprint(event: Event) -> bytes:
    """A digest of the event's full content: equal for a redelivery, different for a reuse.

    Over the canonical encoding (not ``repr``: a time zone parsed as ``TzInfo(0)`` and one
    read back as ``timezone.utc`` are the same value with different reprs).
    """
    return _digest(encode_event(event))


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


@dataclass(frozen=True, slots=True)
class Inbound:
    """An event to apply, and (when it came from Kafka) the message it came from."""

    event: Event
    source: MessageSource | None = None
    key: bytes | None = None
    value: bytes = b""
    headers: tuple[tuple[str, bytes | None], ...] = ()

    def dead_letter(self, reason: str, message: str) -> DeadLetter | None:
        if self.source is None:
            return None
        return DeadLetter(
            source=self.source,
            key=self.key,
            value=self.value,
            headers=self.headers,
            reason=reason,
            message=message,
            event_id=self.event.event_id,
            event_type=self.event.event_type,
        )


@dataclass(frozen=True, slots=True)
class Rejection:
    event_id: str
    reason: str
    message: str


@dataclass(frozen=True, slots=True)
class BatchResult:
    """What a committed batch did."""

    applied: tuple[str, ...] = ()
    duplicates: tuple[str, ...] = ()
    rejected: tuple[Rejection, ...] = ()
    changes: tuple[BalanceChange, ...] = ()
    transactions: int = 0
    attempts: int = 1


@dataclass
class _Work:
    applied: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    letters: list[DeadLetter] = field(default_factory=list)
    transactions: list[Transaction] = field(default_factory=list)

    def reject(self, item: Inbound, reason: str, message: str) -> None:
        self.rejected.append(Rejection(item.event.event_id, reason, message))
        letter = item.dead_letter(reason, message)
        if letter is not None:
            self.letters.append(letter)


async def apply_batch(
    store: LedgerStore,
    batch: Sequence[Inbound],
    *,
    dead_letters: Sequence[DeadLetter] = (),
    max_attempts: int = 8,
    costs: CostTracker | None = None,
) -> BatchResult:
    """Apply ``batch`` (in order) in one transaction, with ``dead_letters`` recorded alongside.

    With ``costs``, the cost side (lots, usage, allocations, COGS) is kept in the same
    transaction; without, only quantities (the quantity-only mode of the benchmark).
    """
    for attempt in range(1, max_attempts + 1):
        try:
            if costs is not None and costs.position < 0:
                await _build_books(store, costs)
            async with store.unit_of_work() as uow:
                result = await _apply(uow, batch, dead_letters, costs)
        except RetryableConflictError:
            if costs is not None:
                costs.failed()
            if attempt == max_attempts:
                raise
            await asyncio.sleep(random.uniform(0, 0.02 * 2**attempt))  # noqa: S311 - jitter
            continue
        except BaseException:
            if costs is not None:
                costs.failed()
            raise
        if costs is not None:
            costs.committed()
        return replace(result, attempts=attempt)
    raise AssertionError("unreachable")  # pragma: no cover


async def _build_books(store: LedgerStore, costs: CostTracker) -> None:
    """Build dropped (or not yet built) cost books from the log before taking its head.

    Under the head lock, reading the whole log takes minutes over a long history, and every
    other instance's batch waits for the head meanwhile (and times out). Read here, a chunk
    per short transaction, it holds no lock; the batch then catches up on what was appended
    since, under the lock, as usual.
    """
    costs.reset()
    while True:
        async with store.unit_of_work() as uow:
            read = await costs.catch_up(uow.cost)
        if read < CATCH_UP_CHUNK:
            return


async def _apply(
    uow: LedgerUnitOfWork,
    batch: Sequence[Inbound],
    dead_letters: Sequence[DeadLetter],
    costs: CostTracker | None,
) -> BatchResult:
    work = _Work(letters=list(dead_letters))
    serials = None
    if costs is not None:  # the parked events these may cure are read with the claims
        serials = sorted({key for item in batch for key in serial_keys(item.event)})
    start = await uow.begin([item.event.event_id for item in batch], cost_serials=serials)
    cost = None
    if costs is not None:
        assert start.cost_head is not None  # the first lock taken
        cost = await costs.begin(uow.cost, start.cost_head)
    encoded: dict[str, str] = {} if cost is None else cost.encoded
    fresh = _skip_processed(start.processed, batch, work, encoded)
    ledger = _Posting(uow, work, cost)
    ledger.digests.update((item.event.event_id, digest) for item, digest in fresh)
    await ledger.lock([item.event for item, _ in fresh])
    if cost is not None:  # items whose dropped history the events may reach are rebuilt
        await cost.prepare([item.event for item, _ in fresh])
    parked: list[tuple[Inbound, str]] = []
    for item, _digest in fresh:
        try:
            ledger.take([item.event])
        except (EventRejectedError, BusinessRuleViolation) as exc:
            work.reject(item, exc.reason.value, exc.message)
            if exc.reason in CURABLE:
                parked.append((item, exc.reason.value))
    if cost is not None:
        await _cure_parked(ledger, parked)
    changes = await _balance_changes(uow, work.transactions)
    # the COPY first: the writes after it go out together, as one statement, at the commit
    await uow.append_transactions(work.transactions)
    await uow.save_documents([ledger.changed[key] for key in sorted(ledger.changed)])
    await uow.save_balances(changes)
    await uow.record_dead_letters(work.letters)
    await uow.claim(ledger.claims)
    if cost is not None:
        await cost.commit()
    return BatchResult(
        applied=tuple(work.applied),
        duplicates=tuple(work.duplicates),
        rejected=tuple(work.rejected),
        changes=tuple(changes),
        transactions=len(work.transactions),
    )


class _Posting:
    """The batch's locked documents and what its accepted events posted so far."""

    def __init__(self, uow: LedgerUnitOfWork, work: _Work, cost: CostSession | None) -> None:
        self.uow, self.work, self.cost = uow, work, cost
        self.documents: dict[DocumentKey, DocumentState] = {}
        self.locked: set[DocumentKey] = set()
        self.changed: dict[DocumentKey, DocumentState] = {}
        self.claims: list[Claim] = []
        self.serial_events: list[Event] = []
        self.digests: dict[str, bytes] = {}
        """Fingerprints already computed (of the batch's fresh events)."""
        """Applied events that name serials (only they can cure a parked event)."""

    async def lock(self, events: Sequence[Event]) -> None:
        """Lock the documents ``events`` touch that are not locked yet (sorted)."""
        keys = sorted({key for e in events for key in affected_documents(e)} - self.locked)
        if keys or not self.locked:
            self.documents.update(await self.uow.lock_documents(keys))
            self.locked.update(keys)

    def take(self, events: Sequence[Event]) -> None:
        """Post ``events`` on both sides, in order (or raise, changing nothing).

        More than one event are taken together: their serial stories are checked as a whole.
        """
        scratch = dict(self.documents) if len(events) > 1 else self.documents
        postings = []
        for event in events:
            posting = post(event, scratch)
            if len(events) > 1:
                scratch.update((state.key, state) for state in posting.documents)
            postings.append(posting)
        if self.cost is not None:  # after post: a quantity rejection leaves the books alone
            if len(events) == 1:
                self.cost.apply(events[0])
            else:
                self.cost.apply_together(events)
        for event, posting in zip(events, postings, strict=True):
            for state in posting.documents:
                self.documents[state.key] = self.changed[state.key] = state
            self.work.transactions.extend(posting.transactions)
            self.work.applied.append(event.event_id)
            if self.cost is not None and names_serials(event):
                self.serial_events.append(event)
            self.claims.append(
                Claim(
                    event.event_id,
                    event.event_type,
                    self.digests.get(event.event_id) or fingerprint(event),
                    event.occurred_at,
                )
            )


CURABLE = frozenset(
    {
        CostReason.SERIAL_NOT_IN_STOCK,
        CostReason.SERIAL_NOT_SHIPPED,
        CostReason.SERIAL_ALREADY_IN_STOCK,
    }
)
"""Serial-rule rejections an event not seen yet can cure (its serial's receipt, shipment or
return arriving later on another topic). Such an event is dead-lettered with its reason and
also *parked*: retried whenever a later batch moves stock of one of its items, and applied
(its dead letter marked replayed) once its serial story holds — so the books are a function
of the set of events, not of their arrival order (domain.md, invariant 6)."""


async def _cure_parked(ledger: _Posting, parked: list[tuple[Inbound, str]]) -> None:
    """Retry the parked events naming a serial this batch moved or parked, until none applies.

    One at a time first; then each group of waiting events that share serials together
    (pieces of one serial story that are refused alone, e.g. a shipment and its return that
    both arrived late).
    """
    work, log = ledger.work, ledger.uow.cost
    waiting = {item.event.event_id: item.event for item, _ in parked}
    cured: list[str] = []
    queried: set[str] = set()
    keys = {key for event in ledger.serial_events for key in serial_keys(event)}
    keys.update(key for event in waiting.values() for key in serial_keys(event))
    while True:
        # a cure names serials other parked events may wait for; they, in turn, may hold only
        # with events parked on their other serials: gather the stories whole (transitively)
        frontier = keys - queried
        while frontier:
            queried |= frontier
            applied = set(work.applied)  # (a parked event redelivered in this batch is in)
            reached: set[str] = set()
            for event in await log.parked_for(sorted(frontier)):
                if event.event_id in applied:
                    if event.event_id not in cured:
                        cured.append(event.event_id)
                elif event.event_id not in waiting:
                    waiting[event.event_id] = event
                    reached |= serial_keys(event)
            frontier = reached - queried
        ordered = sorted(waiting.values(), key=lambda e: (e.occurred_at, e.event_id))
        await ledger.lock(ordered)
        if ledger.cost is not None:
            await ledger.cost.prepare(ordered)
        took = [event for event in ordered if _try(ledger, [event])] or _take_stories(
            ledger, ordered
        )
        if not took:
            break
        for event in took:
            del waiting[event.event_id]
            cured.append(event.event_id)
        keys = {key for event in took for key in serial_keys(event)}
    if cured:
        done = set(cured)
        curable = {reason.value for reason in CURABLE}
        work.rejected = [r for r in work.rejected if r.event_id not in done]
        work.letters = [
            letter
            for letter in work.letters
            if letter.event_id not in done or letter.reason not in curable
        ]
        await log.unpark(cured)
    still = [(item.event, reason) for item, reason in parked if item.event.event_id in waiting]
    if still:
        await log.park(still)


def _try(ledger: _Posting, events: Sequence[Event]) -> bool:
    """Take ``events`` if they hold now (together); a rejection changes nothing."""
    try:
        ledger.take(events)
    except (EventRejectedError, BusinessRuleViolation):
        return False
    return True


def _take_stories(ledger: _Posting, ordered: Sequence[Event]) -> list[Event]:
    """Take each serial story that holds as a whole, or without one of its events."""
    took: list[Event] = []
    for group in _serial_stories(ordered):
        if _try(ledger, group):
            took.extend(group)
            continue
        for drop in reversed(group) if len(group) > 2 else ():  # latest first
            rest = [event for event in group if event is not drop]
            if _try(ledger, rest):
                took.extend(rest)
                break
    return took


def _serial_stories(events: Sequence[Event]) -> list[list[Event]]:
    """The events grouped by the serials they share (connected), groups of two or more only."""
    root: dict[str, str] = {}

    def find(key: str) -> str:
        while root.setdefault(key, key) != key:
            key = root[key]
        return key

    for event in events:
        keys = sorted(serial_keys(event))
        for key in keys[1:]:
            root[find(key)] = find(keys[0])
    groups: dict[str, list[Event]] = {}
    for event in events:
        named = serial_keys(event)
        if named:
            groups.setdefault(find(min(named)), []).append(event)
    return [group for group in groups.values() if len(group) > 1]


def _skip_processed(
    processed: Mapping[str, bytes], batch: Sequence[Inbound], work: _Work, encoded: dict[str, str]
) -> list[tuple[Inbound, bytes]]:
    """Events not processed before, with their fingerprints (first occurrence in the batch wins).

    The fresh events' canonical encodings (what the fingerprint hashes) are kept in
    ``encoded``: the cost log stores the same text.
    """
    seen = dict(processed)
    fresh: list[tuple[Inbound, bytes]] = []
    for item in batch:
        event_id, text = item.event.event_id, encode_event(item.event)
        digest = _digest(text)
        known = seen.get(event_id)
        if known is None:
            seen[event_id] = digest
            encoded[event_id] = text
            fresh.append((item, digest))
        elif known == digest:
            work.duplicates.append(event_id)
        else:
            work.reject(
                item,
                "conflicting_duplicate",
                f"event_id {event_id!r} was already processed with different content",
            )
    return fresh


async def _balance_changes(
    uow: LedgerUnitOfWork, transactions: Sequence[Transaction]
) -> list[BalanceChange]:
    """One change per item whose balances moved, versioned under the item's row lock."""
    moves: dict[ItemKey, _ItemMoves] = {}
    for txn in transactions:  # one pass: deltas per bucket, latest cause, causes in order
        moved = moves.get(txn.item)
        if moved is None:
            moved = moves[txn.item] = _ItemMoves(txn.occurred_at)
        moved.add(txn)
    items = sorted(moves)
    current = await uow.lock_items(items)
    changes = []
    for item in items:
        moved = moves[item]
        delta = Balance(**moved.delta)
        if delta.is_zero:
            continue
        before = current.get(item, VersionedBalance(Balance(), 0))
        changes.append(
            BalanceChange(
                item=item,
                version=before.version + 1,
                balance=before.balance + delta,
                delta=delta,
                occurred_at=moved.latest,
                caused_by=tuple(moved.causes),
            )
        )
    return changes


_BUCKETS = tuple(bucket.value for bucket in Bucket)


class _ItemMoves:
    """What one batch's transactions did to one item (bucket deltas, causes, latest time)."""

    __slots__ = ("causes", "delta", "latest")

    def __init__(self, first: datetime) -> None:
        self.delta = dict.fromkeys(_BUCKETS, ZERO)
        self.causes: dict[str, None] = {}
        self.latest = first

    def add(self, txn: Transaction) -> None:
        self.delta[txn.bucket.value] += txn.qty
        self.causes[txn.event_id] = None
        self.latest = max(self.latest, txn.occurred_at)
