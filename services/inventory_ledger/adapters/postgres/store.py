"""The ledger store on PostgreSQL: one unit of work = one transaction on a pooled connection.

Every statement is set-based (``unnest`` arrays, ``COPY`` for transactions): a batch costs a
fixed number of round trips, not one per row. Lock order is the caller's sorted order. Writes
go out without waiting for their replies (``pipeline.StatementPipeline``), and the closing
writes of a batch (document states, balances, outbox, dead letters, claims, the cost log and
rows), which touch different rows, go out as one statement: reads and the commit wait for them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager, suppress
from functools import partial

import asyncpg

from inventory_ledger.adapters.postgres import queries
from inventory_ledger.adapters.postgres.balance_payload import balance_changed_payload
from inventory_ledger.adapters.postgres.connection import Connection
from inventory_ledger.adapters.postgres.cost_store import PostgresCostLog
from inventory_ledger.adapters.postgres.dead_letters import dead_letter_columns
from inventory_ledger.adapters.postgres.document_codec import decode_document, encode_document
from inventory_ledger.adapters.postgres.pipeline import StatementPipeline, Write, json_rows
from inventory_ledger.application.balance_change import BalanceChange, VersionedBalance
from inventory_ledger.application.dead_letter import DeadLetter
from inventory_ledger.application.ports import (
    BatchStart,
    Claim,
    RetryableConflictError,
    StoreUnavailableError,
)
from inventory_ledger.domain.balance import Balance
from inventory_ledger.domain.document import DocumentState
from inventory_ledger.domain.document_line import DocumentKey
from inventory_ledger.domain.item import ItemKey
from inventory_ledger.domain.transaction import Transaction

__all__ = ["PostgresLedgerStore", "PostgresUnitOfWork"]

_RETRYABLE = (asyncpg.SerializationError, asyncpg.DeadlockDetectedError)
_UNAVAILABLE = (
    OSError,  # refused, reset, timed out
    asyncpg.PostgresConnectionError,  # class 08: connection lost or never made
    asyncpg.InterfaceError,  # the connection was closed under us
    asyncpg.InsufficientResourcesError,  # class 53: disk full, out of memory, too many conns
    asyncpg.OperatorInterventionError,  # class 57: admin shutdown, cannot connect now
    asyncpg.QueryCanceledError,  # statement_timeout
)


COPY_FROM = 500
"""Transactions a batch appends by ``COPY`` from this many on; fewer go as one jsonb parameter
with the batch's other closing writes. ``COPY`` takes two round trips of its own (the server
asks for the data, then confirms) but costs less per row: a live stream's batches of a few
dozen events post well under this, a backlog's full batches (500 events, about 1,100
transactions) over it."""


class PostgresUnitOfWork:
    """The ledger's reads and writes inside one open transaction."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._pipe = StatementPipeline(conn)
        self.cost = PostgresCostLog(conn, self._pipe)

    async def drain(self) -> None:
        """Wait for the writes sent so far (before the commit)."""
        await self._pipe.drain()

    async def abandon(self) -> None:
        """Stop the writes in flight (before the rollback)."""
        await self._pipe.abandon()

    async def begin(
        self, event_ids: Sequence[str], *, cost_serials: Sequence[str] | None = None
    ) -> BatchStart:
        await self._pipe.drain()
        row = await self._conn.fetchrow(
            queries.BATCH_BEGIN, list(event_ids), cost_serials is not None, cost_serials or []
        )
        assert row is not None  # aggregates: always one row
        head, claimed, hashes, parked = row
        if cost_serials is not None:
            self.cost.read_ahead(cost_serials, parked)
        # head is NULL unless the function locked it (cost tracking on)
        return BatchStart(dict(zip(claimed, map(bytes, hashes), strict=True)), head)

    async def lock_documents(
        self, keys: Sequence[DocumentKey]
    ) -> Mapping[DocumentKey, DocumentState]:
        if not keys:
            return {}
        kinds, ids = [k.kind for k in keys], [k.document_id for k in keys]
        await self._pipe.drain()
        rows = await self._conn.fetch(queries.DOCUMENTS_LOCK, kinds, ids)
        # the caller's own keys, found by plain strings (a StrEnum hashes as its value)
        wanted = {(k.kind, k.document_id): k for k in keys}
        items: dict[tuple[str, str], ItemKey] = {}
        states = {}
        for kind, document_id, state in rows:
            if state is not None:
                key = wanted[kind, document_id]
                states[key] = decode_document(key, state, items)
        return states

    async def lock_items(self, items: Sequence[ItemKey]) -> Mapping[ItemKey, VersionedBalance]:
        if not items:
            return {}
        locations, lics = [i.location for i in items], [i.lic for i in items]
        await self._pipe.drain()
        rows = await self._conn.fetch(queries.BALANCES_LOCK, locations, lics)
        wanted = {(i.location, i.lic): i for i in items}  # the caller's own keys
        return {
            wanted[location, lic]: VersionedBalance(Balance(on_hand, on_order, demand), version)
            for location, lic, on_hand, on_order, demand, version in rows
        }

    async def save_documents(self, states: Sequence[DocumentState]) -> None:
        if states:
            self._pipe.write(
                Write(
                    queries.DOCUMENTS_SAVE,
                    (
                        [s.key.kind for s in states],
                        [s.key.document_id for s in states],
                        [encode_document(s) for s in states],
                    ),
                )
            )

    async def append_transactions(self, transactions: Sequence[Transaction]) -> None:
        if not transactions:
            return
        rows = [
            (
                t.item.lic,
                t.item.location,
                t.bucket,  # a StrEnum is the str it names
                t.qty,
                t.occurred_at,
                t.event_id,
                t.document,
                t.document_line,
                t.mfr_lot,
            )
            for t in transactions
        ]
        if len(rows) < COPY_FROM:
            self._pipe.write(Write(queries.TRANSACTIONS_ADD, (json_rows(rows),)))
            return
        await self._pipe.send(
            partial(
                self._conn.copy_records_to_table,
                "transactions",
                columns=queries.TRANSACTION_COLUMNS,
                records=rows,
            )
        )

    async def save_balances(self, changes: Sequence[BalanceChange]) -> None:
        if not changes:
            return
        locations = [c.item.location for c in changes]
        lics = [c.item.lic for c in changes]
        versions = [c.version for c in changes]
        event_ids = [c.event_id for c in changes]
        self._pipe.write(
            Write(
                queries.BALANCES_SAVE,
                (
                    locations,
                    lics,
                    [c.balance.on_hand for c in changes],
                    [c.balance.on_order for c in changes],
                    [c.balance.demand for c in changes],
                    versions,
                    [c.occurred_at for c in changes],
                ),
            )
        )
        self._pipe.write(
            Write(
                queries.OUTBOX_ADD,
                (
                    event_ids,
                    locations,
                    lics,
                    versions,
                    [
                        balance_changed_payload(c, e)
                        for c, e in zip(changes, event_ids, strict=True)
                    ],
                ),
            )
        )

    async def claim(self, claims: Sequence[Claim]) -> None:
        if not claims:
            return
        self._pipe.write(
            Write(
                queries.CLAIM_EVENTS,
                (
                    [c.event_id for c in claims],
                    [c.event_type for c in claims],
                    [c.fingerprint for c in claims],
                    [c.occurred_at for c in claims],
                ),
                translate=_claimed_concurrently,
            )
        )

    async def record_dead_letters(self, letters: Sequence[DeadLetter]) -> None:
        if letters:
            self._pipe.write(Write(queries.DEAD_LETTERS_RECORD, dead_letter_columns(letters)))


def _claimed_concurrently(exc: Exception) -> Exception | None:
    """A claim that hit another batch's: that batch committed first; redo this one."""
    if isinstance(exc, asyncpg.UniqueViolationError) and exc.table_name == "processed_events":
        msg = f"an event was processed concurrently; redo the batch ({exc.detail})"
        return RetryableConflictError(msg)
    return None


class PostgresLedgerStore:
    """Units of work on a connection pool (the pool is made and closed by the caller)."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[PostgresUnitOfWork]:
        try:
            async with self._pool.acquire() as conn:
                try:
                    async with conn.transaction():
                        uow = PostgresUnitOfWork(conn)
                        try:
                            yield uow
                            await uow.drain()
                        except BaseException:
                            await uow.abandon()
                            raise
                except BaseException:
                    # A failed unit of work may leave its connection mid-operation (a write
                    # the pipeline cancelled, a session the server terminated). The pool's
                    # release resets nothing (connection.keep_session), so such a connection
                    # would fail the next batch ("another operation is in progress"): it is
                    # closed instead, and the pool opens a new one.
                    with suppress(asyncpg.InterfaceError):
                        conn.terminate()  # unless the pool already took it back (pool closed)
                    raise
        except _RETRYABLE as exc:
            raise RetryableConflictError(str(exc)) from exc
        except _UNAVAILABLE as exc:
            raise StoreUnavailableError(f"{type(exc).__name__}: {exc}") from exc
