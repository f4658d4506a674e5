"""An in-memory LedgerStore for unit tests of the application layer only (style.md, rule 7).

It keeps the port's contract — a unit of work commits on success and leaves nothing behind on
an exception — so apply_batch's own logic (dedupe, rejection, versions) can be checked
quickly; the same behaviour is checked against real Postgres in tests/integration.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from inventory_ledger.application.balance_change import BalanceChange, VersionedBalance
from inventory_ledger.application.cost_tracking import CostWrite, serial_keys
from inventory_ledger.application.dead_letter import DeadLetter
from inventory_ledger.application.ports import BatchStart, Claim, RetryableConflictError
from inventory_ledger.domain.cost_translation import NOTHING_TO_COST, facts_of
from inventory_ledger.domain.document import DocumentState
from inventory_ledger.domain.document_line import DocumentKey
from inventory_ledger.domain.events import Event
from inventory_ledger.domain.item import ItemKey
from inventory_ledger.domain.transaction import Transaction


@dataclass
class MemoryState:
    processed: dict[str, bytes] = field(default_factory=dict)
    documents: dict[DocumentKey, DocumentState] = field(default_factory=dict)
    balances: dict[ItemKey, VersionedBalance] = field(default_factory=dict)
    transactions: list[Transaction] = field(default_factory=list)
    outbox: list[BalanceChange] = field(default_factory=list)
    dead_letters: list[DeadLetter] = field(default_factory=list)
    cost_log: list[Event] = field(default_factory=list)
    cost_writes: list[CostWrite] = field(default_factory=list)
    parked: dict[str, tuple[Event, str]] = field(default_factory=dict)
    cured: list[str] = field(default_factory=list)


class MemoryCostLog:
    def __init__(self, state: MemoryState) -> None:
        self.state = state

    async def cost_events_after(self, position: int, limit: int) -> Sequence[Event]:
        return self.state.cost_log[position : position + limit]

    async def history(
        self, items: Sequence[ItemKey], up_to: int
    ) -> Mapping[ItemKey, Sequence[Event]]:
        logged = self.state.cost_log[:up_to]
        return {
            item: [
                e for e in logged if type(e) not in NOTHING_TO_COST and item in facts_of(e).items
            ]
            for item in items
        }

    async def save_costs(self, write: CostWrite) -> None:
        assert write.start == len(self.state.cost_log), "appended at the head"
        self.state.cost_log.extend(write.events)
        self.state.cost_writes.append(write)

    async def parked_for(self, serials: Sequence[str]) -> Sequence[Event]:
        wanted = set(serials)
        return [e for e, _ in self.state.parked.values() if serial_keys(e) & wanted]

    async def park(self, events: Sequence[tuple[Event, str]]) -> None:
        for event, reason in events:
            self.state.parked.setdefault(event.event_id, (event, reason))

    async def unpark(self, event_ids: Sequence[str]) -> None:
        for event_id in event_ids:
            self.state.parked.pop(event_id, None)
        self.state.cured.extend(event_ids)


class MemoryUnitOfWork:
    def __init__(self, state: MemoryState) -> None:
        self.state = state
        self.cost = MemoryCostLog(state)

    async def begin(
        self, event_ids: Sequence[str], *, cost_serials: Sequence[str] | None = None
    ) -> BatchStart:
        processed = {i: self.state.processed[i] for i in event_ids if i in self.state.processed}
        return BatchStart(processed, None if cost_serials is None else len(self.state.cost_log))

    async def lock_documents(
        self, keys: Sequence[DocumentKey]
    ) -> Mapping[DocumentKey, DocumentState]:
        assert list(keys) == sorted(keys), "documents must be locked in sorted order"
        return {k: self.state.documents[k] for k in keys if k in self.state.documents}

    async def lock_items(self, items: Sequence[ItemKey]) -> Mapping[ItemKey, VersionedBalance]:
        assert list(items) == sorted(items), "items must be locked in sorted order"
        return {i: self.state.balances[i] for i in items if i in self.state.balances}

    async def save_documents(self, states: Sequence[DocumentState]) -> None:
        self.state.documents.update((s.key, s) for s in states)

    async def append_transactions(self, transactions: Sequence[Transaction]) -> None:
        self.state.transactions.extend(transactions)

    async def save_balances(self, changes: Sequence[BalanceChange]) -> None:
        for c in changes:
            self.state.balances[c.item] = VersionedBalance(c.balance, c.version)
        self.state.outbox.extend(changes)

    async def claim(self, claims: Sequence[Claim]) -> None:
        for c in claims:
            if c.event_id in self.state.processed:
                raise RetryableConflictError(c.event_id)
            self.state.processed[c.event_id] = c.fingerprint

    async def record_dead_letters(self, letters: Sequence[DeadLetter]) -> None:
        self.state.dead_letters.extend(letters)


class MemoryLedgerStore:
    def __init__(self) -> None:
        self.state = MemoryState()

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[MemoryUnitOfWork]:
        work = copy.deepcopy(self.state)
        yield MemoryUnitOfWork(work)
        self.state = work  # commit only when the block finished without an exception
