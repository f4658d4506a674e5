"""What the relay publishes: unpublished rows of a table, as Kafka messages, and how to mark them.

Both tables are scanned by their ``published_at IS NULL`` flag in id order (never by an id
cursor: ids become visible out of order, reliability.md trap 3) and marked only for rows the
broker acknowledged. A scan can leave out *held* keys (Kafka keys whose row the broker refused
and that wait for their retry), so that their rows never fill the batch ahead of other keys;
a held key's rows are all left out, never some of them, which keeps its versions in order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC
from typing import Protocol

import asyncpg

from inventory_contracts import DeadLetter as DeadLetterRecord
from inventory_contracts import DeadLetterHeader
from inventory_ledger.adapters.postgres import queries
from inventory_ledger.adapters.postgres.dead_letters import recorded_from_row
from inventory_ledger.application.dead_letter import RecordedDeadLetter

__all__ = [
    "BALANCE_CHANGED_EVENT_TYPE",
    "DeadLetterSource",
    "OutboxSource",
    "Outgoing",
    "RelaySource",
    "dead_letter_record",
]

BALANCE_CHANGED_EVENT_TYPE = "inventory.balance_changed"


@dataclass(frozen=True)
class Outgoing:
    """One row as a Kafka message; ``row_id`` is what gets marked once the broker acks it."""

    row_id: int
    key: bytes | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...]


class RelaySource(Protocol):
    """A table the relay drains into one topic."""

    @property
    def name(self) -> str: ...

    @property
    def topic(self) -> str: ...

    async def unpublished(
        self, conn: asyncpg.Connection, limit: int, held: Collection[bytes | None] = ()
    ) -> list[Outgoing]:
        """Up to ``limit`` unpublished rows in id order, none of them with a ``held`` key."""
        ...

    async def mark_published(self, conn: asyncpg.Connection, ids: Sequence[int]) -> None: ...


@dataclass(frozen=True)
class OutboxSource:
    """``outbox`` → ``inventory.balance_changed``, key ``{location}/{lic}``.

    The payload already is the full outbound envelope; it is sent as stored (jsonb's text form).
    """

    topic: str = "inventory.balance-changed.v1"
    name: str = "outbox"

    async def unpublished(
        self, conn: asyncpg.Connection, limit: int, held: Collection[bytes | None] = ()
    ) -> list[Outgoing]:
        if held:
            keys = [key.decode() for key in held if key is not None]
            fetched = await conn.fetch(queries.OUTBOX_UNPUBLISHED_EXCEPT_KEYS, limit, keys)
        else:
            fetched = await conn.fetch(queries.OUTBOX_UNPUBLISHED, limit)
        rows = _versions_ascending_per_key(fetched)
        return [
            Outgoing(
                row_id=row["id"],
                key=f"{row['location']}/{row['lic']}".encode(),
                value=row["payload"].encode(),
                headers=(
                    ("event_id", row["event_id"].encode()),
                    ("event_type", BALANCE_CHANGED_EVENT_TYPE.encode()),
                    ("version", str(row["version"]).encode()),
                    ("content-type", b"application/json"),
                ),
            )
            for row in rows
        ]

    async def mark_published(self, conn: asyncpg.Connection, ids: Sequence[int]) -> None:
        await conn.execute(queries.OUTBOX_MARK_PUBLISHED, list(ids))


def _versions_ascending_per_key(rows: Sequence[asyncpg.Record]) -> list[asyncpg.Record]:
    """Id order, except that each key's rows are put in version order in the slots they hold.

    Versions of a key are assigned under its row lock, so across transactions id order already
    is version order; this guards the rows one multi-row INSERT wrote, whose ids Postgres does
    not promise to hand out in the order of the input.
    """
    slots: dict[tuple[str, str], list[int]] = defaultdict(list)
    for index, row in enumerate(rows):
        slots[row["location"], row["lic"]].append(index)
    ordered = list(rows)
    for indexes in slots.values():
        by_version = sorted((rows[i] for i in indexes), key=lambda r: r["version"])
        for index, row in zip(indexes, by_version, strict=True):
            ordered[index] = row
    return ordered


def dead_letter_record(recorded: RecordedDeadLetter) -> DeadLetterRecord:
    """The contract's dead-letter record of a stored dead letter."""
    letter = recorded.letter
    return DeadLetterRecord(
        reason=letter.reason,
        message=letter.message,
        source_topic=letter.source.topic,
        source_partition=letter.source.partition,
        source_offset=letter.source.offset,
        key=letter.key,
        value=letter.value,
        headers=tuple(DeadLetterHeader(key=k, value=v) for k, v in letter.headers),
        event_id=letter.event_id,
        event_type=letter.event_type,
        rejected_at=recorded.created_at.astimezone(UTC),
    )


@dataclass(frozen=True)
class DeadLetterSource:
    """``dead_letters`` → the dead-letter topic, keyed by the rejected message's own key."""

    topic: str = "inventory.dead-letter.v1"
    name: str = "dead_letters"

    async def unpublished(
        self, conn: asyncpg.Connection, limit: int, held: Collection[bytes | None] = ()
    ) -> list[Outgoing]:
        if held:
            keys = [key for key in held if key is not None]
            rows = await conn.fetch(
                queries.DEAD_LETTERS_UNPUBLISHED_EXCEPT_KEYS, limit, keys, None in held
            )
        else:
            rows = await conn.fetch(queries.DEAD_LETTERS_UNPUBLISHED, limit)
        out = []
        for row in rows:
            recorded = recorded_from_row(row)
            letter = recorded.letter
            headers = [("reason", letter.reason.encode()), ("content-type", b"application/json")]
            if letter.event_id is not None:
                headers.append(("event_id", letter.event_id.encode()))
            out.append(
                Outgoing(
                    row_id=recorded.id,
                    key=letter.key,
                    value=dead_letter_record(recorded).model_dump_json().encode(),
                    headers=tuple(headers),
                )
            )
        return out

    async def mark_published(self, conn: asyncpg.Connection, ids: Sequence[int]) -> None:
        await conn.execute(queries.DEAD_LETTERS_MARK_PUBLISHED, list(ids))
