"""The cost log and the cost query rows on PostgreSQL (the ``CostLog`` of the unit of work).

Set-based like the rest of the store: a batch's cost writes are a fixed number of statements
(``unnest`` arrays, jsonb rows), whatever the number of lots, usages and journal entries, and
they go out with the batch's other closing writes as one statement (``pipeline.Write``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import orjson

from inventory_ledger.adapters.postgres import queries
from inventory_ledger.adapters.postgres.connection import Connection
from inventory_ledger.adapters.postgres.pipeline import StatementPipeline, Write, json_rows
from inventory_ledger.application.cost_tracking import CostWrite, serial_keys
from inventory_ledger.application.event_codec import decode_event, encode_event
from inventory_ledger.application.ports import RetryableConflictError
from inventory_ledger.domain.events import Event
from inventory_ledger.domain.item import ItemKey
from inventory_ledger.domain.lot import LotRecord
from inventory_ledger.domain.usage import UsageRecord

__all__ = ["PostgresCostLog"]


class PostgresCostLog:
    """The cost side's reads and writes inside the unit of work's transaction."""

    def __init__(self, conn: Connection, pipe: StatementPipeline | None = None) -> None:
        self._conn = conn
        self._pipe = pipe or StatementPipeline(conn)
        self._ahead: tuple[frozenset[str], list[Event]] | None = None

    def read_ahead(self, serials: Sequence[str], parked: Sequence[str]) -> None:
        """The parked events naming any of ``serials``, read with the head locked: none can
        change until this batch ends (only a batch holding the head parks or cures one), so
        :meth:`parked_for` answers from them when it asks for no other serial."""
        self._ahead = (frozenset(serials), [decode_event(text) for text in parked])

    async def cost_events_after(self, position: int, limit: int) -> Sequence[Event]:
        await self._pipe.drain()
        rows = await self._conn.fetch(queries.COST_LOG_AFTER, position, limit)
        return [decode_event(r["event"]) for r in rows]

    async def history(
        self, items: Sequence[ItemKey], up_to: int
    ) -> Mapping[ItemKey, Sequence[Event]]:
        await self._pipe.drain()
        rows = await self._conn.fetch(
            queries.COST_LOG_BY_ITEM,
            [item.lic for item in items],
            [item.location for item in items],
            up_to,
        )
        found: dict[ItemKey, list[Event]] = {item: [] for item in items}
        for row in rows:
            found[ItemKey(row["lic"], row["location"])].append(decode_event(row["event"]))
        return found

    async def save_costs(self, write: CostWrite) -> None:
        hold = self._pipe.write
        events = write.events
        hold(
            Write(
                queries.COST_LOG_APPEND,
                (write.start, [e.event_id for e in events], list(write.texts)),
            )
        )
        if write.items:
            hold(Write(queries.COST_LOG_ITEMS, (json_rows(write.items),)))
        hold(Write(queries.COST_LOG_MOVE_HEAD, (write.start, write.head), check=_one_head))
        if write.gone_lots:
            hold(Write(queries.LOTS_DELETE, (list(write.gone_lots),)))  # not among write.lots
        if write.lots:
            hold(Write(queries.LOTS_SAVE, (json_rows(_lot_row(r) for r in write.lots),)))
        if write.usages:
            hold(Write(queries.USAGES_SAVE, (json_rows(_usage_row(r) for r in write.usages),)))
        if write.allocations:
            usage_ids = [a.usage_id for a in write.allocations]
            rows = json_rows((a.usage_id, *row) for a in write.allocations for row in a.rows)
            # rows the usages no longer have, and the rows they have: never the same rows
            hold(Write(queries.ALLOCATIONS_PRUNE, (usage_ids, rows)))
            if rows != "[]":
                hold(Write(queries.ALLOCATIONS_PUT, (rows,)))
        if write.cogs:
            rows = json_rows(
                (e.event_id, e.usage_id, e.lot_id, e.amount, e.cause.value, e.occurred_at)
                for e in write.cogs
            )
            hold(Write(queries.COGS_ENTRIES_ADD, (rows,)))

    async def parked_for(self, serials: Sequence[str]) -> Sequence[Event]:
        ahead = self._ahead
        if ahead is not None and ahead[0].issuperset(serials):
            wanted = set(serials)
            return [event for event in ahead[1] if not serial_keys(event).isdisjoint(wanted)]
        await self._pipe.drain()
        rows = await self._conn.fetch(queries.PARKED_FOR_SERIALS, list(serials))
        return [decode_event(r["event"]) for r in rows]

    async def park(self, events: Sequence[tuple[Event, str]]) -> None:
        self._pipe.write(
            Write(
                queries.PARKED_ADD,
                (
                    [e.event_id for e, _ in events],
                    [encode_event(e) for e, _ in events],
                    [orjson.dumps(sorted(serial_keys(e))).decode() for e, _ in events],
                    [reason for _, reason in events],
                ),
            )
        )

    async def unpark(self, event_ids: Sequence[str]) -> None:
        # never the events parked in the same batch: those are the ones not cured
        self._pipe.write(Write(queries.PARKED_REMOVE, (list(event_ids),)))
        self._pipe.write(Write(queries.DEAD_LETTERS_CURED, (list(event_ids),)))


def _one_head(moved: int) -> None:
    if moved != 1:  # pragma: no cover - the head is locked by this transaction
        raise RetryableConflictError("the cost log head moved")


def _lot_row(record: LotRecord) -> tuple[object, ...]:
    lot = record.lot
    return (
        lot.lot_id,
        lot.kind.value,
        lot.item.location,
        lot.item.lic,
        lot.document,
        lot.document_line,
        lot.mfr_lot,
        record.qty,
        record.allocated_qty,
        record.unit_cost,
        record.cost_status.value,
        None if lot.received_at is None else lot.received_at.at,
    )


def _usage_row(record: UsageRecord) -> tuple[object, ...]:
    usage = record.usage
    return (
        usage.usage_id,
        usage.kind.value,
        usage.item.location,
        usage.item.lic,
        usage.document,
        usage.document_line,
        usage.mfr_lot,
        usage.qty,
        record.returned_qty,
        record.allocated_qty,
        record.cogs,
        usage.at.at,
    )
