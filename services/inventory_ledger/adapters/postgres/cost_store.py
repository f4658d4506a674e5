"""The cost log and the cost query rows on PostgreSQL (the ``CostLog`` of the unit of work).

Set-based like the rest of the store: a batch's cost writes are a fixed number of round
trips (``unnest`` arrays), whatever the number of lots, usages and journal entries.
"""

from __future__ import annotations

from collections.abc import Sequence

import orjson

from inventory_ledger.adapters.postgres import queries
from inventory_ledger.adapters.postgres.connection import Connection
from inventory_ledger.application.cost_tracking import CostWrite, serial_keys
from inventory_ledger.application.event_codec import decode_event, encode_event
from inventory_ledger.application.ports import RetryableConflictError
from inventory_ledger.domain.events import Event

__all__ = ["PostgresCostLog"]


class PostgresCostLog:
    """The cost side's reads and writes inside the unit of work's transaction."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def lock_cost_log(self) -> int:
        position: int = await self._conn.fetchval(queries.COST_LOG_LOCK)
        return position

    async def cost_events_after(self, position: int, limit: int) -> Sequence[Event]:
        rows = await self._conn.fetch(queries.COST_LOG_AFTER, position, limit)
        return [decode_event(r["event"]) for r in rows]

    async def save_costs(self, write: CostWrite) -> None:
        conn = self._conn
        events = write.events
        await conn.execute(
            queries.COST_LOG_APPEND,
            list(range(write.start + 1, write.head + 1)),
            [e.event_id for e in events],
            [encode_event(e) for e in events],
        )
        moved = await conn.execute(queries.COST_LOG_MOVE_HEAD, write.start, write.head)
        if moved != "UPDATE 1":  # pragma: no cover - the head is locked by this transaction
            raise RetryableConflictError(f"the cost log head moved from {write.start}")
        if write.gone_lots:
            await conn.execute(queries.LOTS_DELETE, list(write.gone_lots))
        if write.lots:
            await self._save_lots(write)
        if write.usages:
            await self._save_usages(write)
        if write.allocations:
            await self._save_allocations(write)
        if write.cogs:
            entries = write.cogs
            await conn.execute(
                queries.COGS_ENTRIES_ADD,
                [e.event_id for e in entries],
                [e.usage_id for e in entries],
                [e.lot_id for e in entries],
                [e.amount for e in entries],
                [e.cause.value for e in entries],
                [e.occurred_at for e in entries],
            )

    async def parked_for(self, serials: Sequence[str]) -> Sequence[Event]:
        rows = await self._conn.fetch(queries.PARKED_FOR_SERIALS, list(serials))
        return [decode_event(r["event"]) for r in rows]

    async def park(self, events: Sequence[tuple[Event, str]]) -> None:
        await self._conn.execute(
            queries.PARKED_ADD,
            [e.event_id for e, _ in events],
            [encode_event(e) for e, _ in events],
            [orjson.dumps(sorted(serial_keys(e))).decode() for e, _ in events],
            [reason for _, reason in events],
        )

    async def unpark(self, event_ids: Sequence[str]) -> None:
        await self._conn.execute(queries.PARKED_REMOVE, list(event_ids))
        await self._conn.execute(queries.DEAD_LETTERS_CURED, list(event_ids))

    async def _save_lots(self, write: CostWrite) -> None:
        records = write.lots
        lots = [r.lot for r in records]
        await self._conn.execute(
            queries.LOTS_SAVE,
            [lot.lot_id for lot in lots],
            [lot.kind.value for lot in lots],
            [lot.item.location for lot in lots],
            [lot.item.lic for lot in lots],
            [lot.document for lot in lots],
            [lot.document_line for lot in lots],
            [lot.mfr_lot for lot in lots],
            [r.qty for r in records],
            [r.allocated_qty for r in records],
            [r.unit_cost for r in records],
            [r.cost_status.value for r in records],
            [None if lot.received_at is None else lot.received_at.at for lot in lots],
        )

    async def _save_usages(self, write: CostWrite) -> None:
        records = write.usages
        usages = [r.usage for r in records]
        await self._conn.execute(
            queries.USAGES_SAVE,
            [u.usage_id for u in usages],
            [u.kind.value for u in usages],
            [u.item.location for u in usages],
            [u.item.lic for u in usages],
            [u.document for u in usages],
            [u.document_line for u in usages],
            [u.mfr_lot for u in usages],
            [u.qty for u in usages],
            [r.returned_qty for r in records],
            [r.allocated_qty for r in records],
            [r.cogs for r in records],
            [u.at.at for u in usages],
        )

    async def _save_allocations(self, write: CostWrite) -> None:
        await self._conn.execute(queries.ALLOCATIONS_CLEAR, [a.usage_id for a in write.allocations])
        rows = [(a.usage_id, *row) for a in write.allocations for row in a.rows]
        if rows:
            await self._conn.execute(
                queries.ALLOCATIONS_ADD,
                [r[0] for r in rows],
                [r[1] for r in rows],
                [r[2] for r in rows],
                [r[3] for r in rows],
            )
