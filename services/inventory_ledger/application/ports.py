"""What the unit of work needs from storage (implemented by adapters.postgres.store).

One :class:`LedgerUnitOfWork` is one database transaction: everything a batch writes commits
together or not at all. Locks are taken in one global order — documents (sorted), then items
(sorted) — so concurrent instances never deadlock on each other for long (and a detected
deadlock or serialization failure is retried by the caller).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from inventory_ledger.application.balance_change import BalanceChange, VersionedBalance
from inventory_ledger.application.cost_tracking import CostLog
from inventory_ledger.application.dead_letter import DeadLetter
from inventory_ledger.domain.document import DocumentState
from inventory_ledger.domain.document_line import DocumentKey
from inventory_ledger.domain.item import ItemKey
from inventory_ledger.domain.transaction import Transaction

__all__ = [
    "BatchStart",
    "Claim",
    "LedgerStore",
    "LedgerUnitOfWork",
    "RetryableConflictError",
    "StoreUnavailableError",
]


@dataclass(frozen=True, slots=True)
class Claim:
    """An event being marked processed, with the fingerprint that detects a conflicting reuse."""

    event_id: str
    event_type: str
    fingerprint: bytes
    occurred_at: datetime


@dataclass(frozen=True, slots=True)
class BatchStart:
    """What a batch learns as it starts (``LedgerUnitOfWork.begin``)."""

    processed: Mapping[str, bytes]
    """Fingerprints of the batch's events that were already processed."""
    cost_head: int | None = None
    """The cost log head, locked (``None``: cost tracking is off, nothing locked)."""


class RetryableConflictError(Exception):
    """Another transaction got in the way (a serialization failure, a deadlock, or it processed
    the same event first); the store raises this and the caller redoes the whole batch."""


class StoreUnavailableError(Exception):
    """The database cannot be reached or refuses work for now (down, restarting, disk full);
    nothing was committed, and the same batch may be tried again later."""


class LedgerUnitOfWork(Protocol):
    @property
    def cost(self) -> CostLog:
        """The cost log and rows, in the same transaction."""
        ...

    async def begin(
        self, event_ids: Sequence[str], *, cost_serials: Sequence[str] | None = None
    ) -> BatchStart:
        """Start the batch: what is known of ``event_ids``, and, with ``cost_serials`` (cost
        tracking on), the cost log head, locked first. ``cost_serials``: the serials the
        batch's events name (``serial_keys``); the parked events naming them may be read
        ahead, for ``cost.parked_for``."""
        ...

    async def lock_documents(
        self, keys: Sequence[DocumentKey]
    ) -> Mapping[DocumentKey, DocumentState]:
        """Lock these documents (in the given, sorted order) and return the known states."""
        ...

    async def lock_items(self, items: Sequence[ItemKey]) -> Mapping[ItemKey, VersionedBalance]:
        """Lock these items' balances (in the given, sorted order) and return them."""
        ...

    async def save_documents(self, states: Sequence[DocumentState]) -> None: ...

    async def append_transactions(self, transactions: Sequence[Transaction]) -> None: ...

    async def save_balances(self, changes: Sequence[BalanceChange]) -> None:
        """Store the new balances and versions, and one outbox row per change."""
        ...

    async def claim(self, claims: Sequence[Claim]) -> None:
        """Mark events processed; raise :class:`RetryableConflictError` if one already was."""
        ...

    async def record_dead_letters(self, letters: Sequence[DeadLetter]) -> None: ...


class LedgerStore(Protocol):
    def unit_of_work(self) -> AbstractAsyncContextManager[LedgerUnitOfWork]:
        """A new database transaction; commits on normal exit, rolls back on an exception."""
        ...
