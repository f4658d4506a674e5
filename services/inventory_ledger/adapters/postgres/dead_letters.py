"""The ``dead_letters`` table: record rejected messages once, list them, mark them replayed.

``record_dead_letters`` runs on the consumer's connection inside its batch transaction, so a
dead letter is stored exactly when the offsets behind it are (a redelivered message hits the
``(source_topic, source_partition, source_offset)`` key and is ignored).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Sequence

import asyncpg

from inventory_ledger.adapters.postgres import queries
from inventory_ledger.adapters.postgres.connection import Connection
from inventory_ledger.application.dead_letter import (
    DeadLetter,
    MessageSource,
    RecordedDeadLetter,
)

__all__ = [
    "dead_letter_columns",
    "decode_headers",
    "encode_headers",
    "list_dead_letters",
    "mark_replayed",
    "record_dead_letters",
    "recorded_from_row",
]

Header = tuple[str, bytes | None]


def encode_headers(headers: Iterable[Header]) -> str:
    """Kafka headers as the stored JSON array: ``[{"key": name, "value": base64 | null}]``."""
    return json.dumps(
        [
            {"key": k, "value": None if v is None else base64.b64encode(v).decode("ascii")}
            for k, v in headers
        ]
    )


def decode_headers(stored: str) -> tuple[Header, ...]:
    """The inverse of :func:`encode_headers`."""
    items: list[dict[str, str | None]] = json.loads(stored)
    return tuple(
        (str(h["key"]), None if h["value"] is None else base64.b64decode(h["value"])) for h in items
    )


def recorded_from_row(row: asyncpg.Record) -> RecordedDeadLetter:
    """A ``dead_letters`` row (selected with ``headers::text``) as a value."""
    letter = DeadLetter(
        source=MessageSource(row["source_topic"], row["source_partition"], row["source_offset"]),
        key=row["key"],
        value=row["value"],
        headers=decode_headers(row["headers"]),
        reason=row["reason"],
        message=row["message"],
        event_id=row["event_id"],
        event_type=row["event_type"],
    )
    return RecordedDeadLetter(
        id=row["id"],
        letter=letter,
        created_at=row["created_at"],
        published_at=row["published_at"],
        replayed_at=row["replayed_at"],
    )


def dead_letter_columns(letters: Sequence[DeadLetter]) -> tuple[list[object], ...]:
    """The arguments of ``DEAD_LETTERS_RECORD``: one array per column."""
    return (
        [d.source.topic for d in letters],
        [d.source.partition for d in letters],
        [d.source.offset for d in letters],
        [d.key for d in letters],
        [d.value for d in letters],
        [encode_headers(d.headers) for d in letters],
        [d.reason for d in letters],
        [d.message for d in letters],
        [d.event_id for d in letters],
        [d.event_type for d in letters],
    )


async def record_dead_letters(conn: Connection, letters: Sequence[DeadLetter]) -> int:
    """Store the letters in one statement; return how many were new (redeliveries are not)."""
    if not letters:
        return 0
    rows = await conn.fetch(queries.DEAD_LETTERS_RECORD, *dead_letter_columns(letters))
    return len(rows)


async def list_dead_letters(
    conn: Connection, limit: int = 100, reason: str | None = None
) -> list[RecordedDeadLetter]:
    """The oldest ``limit`` dead letters, optionally only those with one ``reason``."""
    rows = await conn.fetch(queries.DEAD_LETTERS_LIST, limit, reason)
    return [recorded_from_row(row) for row in rows]


async def mark_replayed(conn: Connection, ids: Iterable[int]) -> list[int]:
    """Mark dead letters replayed (after their bytes were re-sent); return the ids changed."""
    rows = await conn.fetch(queries.DEAD_LETTERS_MARK_REPLAYED, list(ids))
    return sorted(row["id"] for row in rows)
