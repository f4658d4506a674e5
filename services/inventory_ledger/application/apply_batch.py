"""The unit of work: a batch of events in, one database transaction, changes out.

For a batch: skip events already processed (a reused ``event_id`` with other content is a
conflict → dead letter), lock the documents and items the rest touch (sorted: no lock-order
cycles between instances), post each event with the pure core, write document states, ledger
transactions, balances + versions + outbox rows and the processed-event claims, and commit.
A rejected event (business rule) becomes a dead letter in the same transaction; the others
proceed. Serialization failures, deadlocks and a concurrent claim of the same event redo the
whole batch: nothing is half-written, nothing is counted twice.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from inventory_ledger.application.balance_change import BalanceChange, VersionedBalance
from inventory_ledger.application.cost_tracking import CostTracker
from inventory_ledger.application.dead_letter import DeadLetter, MessageSource
from inventory_ledger.application.ports import (
    Claim,
    LedgerStore,
    LedgerUnitOfWork,
    RetryableConflictError,
)
from inventory_ledger.domain.balance import Balance
from inventory_ledger.domain.cost_errors import BusinessRuleViolation
from inventory_ledger.domain.document import DocumentState
from inventory_ledger.domain.document_line import DocumentKey
from inventory_ledger.domain.errors import EventRejectedError
from inventory_ledger.domain.events import Event
from inventory_ledger.domain.item import ZERO, Bucket, ItemKey
from inventory_ledger.domain.posting import affected_documents, post
from inventory_ledger.domain.transaction import Transaction

__all__ = ["BatchResult", "Inbound", "Rejection", "apply_batch", "fingerprint"]


def fingerprint(event: Event) -> bytes:
    """A digest of the event's full content: equal for a redelivery, different for a reuse."""
    return hashlib.sha256(repr(event).encode()).digest()


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
            async with store.unit_of_work() as uow:
                result = await _apply(uow, batch, dead_letters, costs)
        except RetryableConflictError:
            if costs is not None:
                costs.invalidate()
            if attempt == max_attempts:
                raise
            await asyncio.sleep(random.uniform(0, 0.02 * 2**attempt))  # noqa: S311 - jitter
            continue
        except BaseException:
            if costs is not None:
                costs.invalidate()  # the books may be ahead of what committed
            raise
        return replace(result, attempts=attempt)
    raise AssertionError("unreachable")  # pragma: no cover


async def _apply(
    uow: LedgerUnitOfWork,
    batch: Sequence[Inbound],
    dead_letters: Sequence[DeadLetter],
    costs: CostTracker | None,
) -> BatchResult:
    work = _Work(letters=list(dead_letters))
    cost = None if costs is None else await costs.begin(uow.cost)  # the first lock taken
    fresh = await _skip_processed(uow, batch, work)
    doc_keys = sorted({key for item, _ in fresh for key in affected_documents(item.event)})
    documents: dict[DocumentKey, DocumentState] = dict(await uow.lock_documents(doc_keys))
    changed: dict[DocumentKey, DocumentState] = {}
    claims: list[Claim] = []
    for item, digest in fresh:
        try:
            posting = post(item.event, documents)
            if cost is not None:
                cost.apply(item.event)  # after post: a quantity rejection leaves the books alone
        except (EventRejectedError, BusinessRuleViolation) as exc:
            work.reject(item, exc.reason.value, exc.message)
            continue
        for state in posting.documents:
            documents[state.key] = changed[state.key] = state
        work.transactions.extend(posting.transactions)
        work.applied.append(item.event.event_id)
        event = item.event
        claims.append(Claim(event.event_id, event.event_type, digest, event.occurred_at))

    changes = await _balance_changes(uow, work.transactions)
    await uow.save_documents([changed[key] for key in sorted(changed)])
    await uow.append_transactions(work.transactions)
    await uow.save_balances(changes)
    await uow.record_dead_letters(work.letters)
    await uow.claim(claims)
    if cost is not None:
        await cost.commit()
    return BatchResult(
        applied=tuple(work.applied),
        duplicates=tuple(work.duplicates),
        rejected=tuple(work.rejected),
        changes=tuple(changes),
        transactions=len(work.transactions),
    )


async def _skip_processed(
    uow: LedgerUnitOfWork, batch: Sequence[Inbound], work: _Work
) -> list[tuple[Inbound, bytes]]:
    """Events not processed before, with their fingerprints (first occurrence in the batch wins)."""
    seen = dict(await uow.processed([item.event.event_id for item in batch]))
    fresh: list[tuple[Inbound, bytes]] = []
    for item in batch:
        event_id, digest = item.event.event_id, fingerprint(item.event)
        known = seen.get(event_id)
        if known is None:
            seen[event_id] = digest
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
        moves.setdefault(txn.item, _ItemMoves(txn.occurred_at)).add(txn)
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


class _ItemMoves:
    """What one batch's transactions did to one item (bucket deltas, causes, latest time)."""

    __slots__ = ("causes", "delta", "latest")

    def __init__(self, first: datetime) -> None:
        self.delta = {bucket.value: ZERO for bucket in Bucket}
        self.causes: dict[str, None] = {}
        self.latest = first

    def add(self, txn: Transaction) -> None:
        self.delta[txn.bucket.value] += txn.qty
        self.causes[txn.event_id] = None
        self.latest = max(self.latest, txn.occurred_at)
