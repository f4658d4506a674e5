"""Replaying dead letters after a fix: their original bytes go back to their source topic.

The consumer then sees them as new records: a message that is valid now is applied (once: its
event id makes a second replay harmless), one that still is not becomes a new dead letter with
its new offset. A letter is marked ``replayed_at`` only after the broker acknowledged it.
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from inventory_ledger.adapters.kafka.producer import start_idempotent_producer, stop_quietly
from inventory_ledger.adapters.postgres import queries
from inventory_ledger.adapters.postgres.dead_letters import mark_replayed, recorded_from_row
from inventory_ledger.settings import Settings

__all__ = ["REPLAYED_FROM_HEADER", "replay_dead_letters"]

REPLAYED_FROM_HEADER = "x-inventory-replayed-from"
"""Header on a replayed record: the id of the dead letter it came from."""


async def replay_dead_letters(
    settings: Settings,
    *,
    ids: Sequence[int] | None = None,
    reason: str | None = None,
    limit: int = 1000,
) -> list[int]:
    """Re-send the chosen, not yet replayed letters to their source topics; the ids replayed."""
    conn = await asyncpg.connect(settings.database_url.get_secret_value())
    try:
        chosen = [
            r["id"]
            for r in await conn.fetch(
                queries.DEAD_LETTERS_TO_REPLAY, list(ids) if ids else None, reason, limit
            )
        ]
        if not chosen:
            return []
        letters = [
            recorded_from_row(r) for r in await conn.fetch(queries.DEAD_LETTERS_BY_ID, chosen)
        ]
        producer = await start_idempotent_producer(
            settings.kafka_bootstrap_servers,
            "inventory-ledger-replay",
            settings.producer_options(),
        )
        try:
            futures = []
            for recorded in letters:
                letter = recorded.letter
                headers = [
                    *((k, v or b"") for k, v in letter.headers if k != REPLAYED_FROM_HEADER),
                    (REPLAYED_FROM_HEADER, str(recorded.id).encode()),
                ]
                futures.append(
                    await producer.send(
                        letter.source.topic, letter.value, key=letter.key, headers=headers
                    )
                )
            await producer.flush()
            for future in futures:
                await future  # raises if the broker did not acknowledge
        finally:
            await stop_quietly(producer, timeout_s=10)
        return await mark_replayed(conn, [r.id for r in letters])
    finally:
        await conn.close()
