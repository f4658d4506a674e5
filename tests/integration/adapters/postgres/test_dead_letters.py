"""Dead letters are recorded once per source position, listed by reason, marked replayed."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from inventory_ledger.adapters.postgres.dead_letters import (
    list_dead_letters,
    mark_replayed,
    record_dead_letters,
)
from inventory_ledger.application.dead_letter import MAX_MESSAGE_CHARS, DeadLetter, MessageSource
from tests.conftest import LedgerDatabase

pytestmark = [pytest.mark.integration, pytest.mark.timeout(30)]


def letter(offset: int, reason: str = "not_json", **kw: object) -> DeadLetter:
    fields: dict[str, object] = {
        "source": MessageSource("sales.v1", 2, offset),
        "key": b"O-1",
        "value": b"\xff not json",
        "headers": (("trace", b"\x00\x01"), ("empty", None)),
        "reason": reason,
        "message": "line 1: not JSON",
    } | kw
    return DeadLetter(**fields)  # type: ignore[arg-type]


@pytest.fixture
async def conn(ledger_db: LedgerDatabase) -> AsyncIterator[asyncpg.Connection]:
    owner = await asyncpg.connect(ledger_db.owner_dsn, timeout=10)
    try:
        await owner.execute("TRUNCATE dead_letters")
    finally:
        await owner.close()
    app = await asyncpg.connect(ledger_db.app_dsn, timeout=10)  # least privilege suffices
    try:
        yield app
    finally:
        await app.close()


async def test_redelivered_letters_are_recorded_once_byte_for_byte(
    conn: asyncpg.Connection,
) -> None:
    first = [letter(10), letter(11, "serial_not_in_stock", event_id="e-11", event_type="x.y")]
    async with conn.transaction():  # as the consumer does: inside its batch transaction
        assert await record_dead_letters(conn, first) == 2
    again = [letter(11, "schema"), letter(12, key=None, value=b"")]  # 11 is a redelivery
    assert await record_dead_letters(conn, again) == 1
    assert await record_dead_letters(conn, []) == 0

    stored = await list_dead_letters(conn, limit=10)
    assert [s.letter for s in stored] == [first[0], first[1], again[1]]
    assert stored[0].letter.headers == (("trace", b"\x00\x01"), ("empty", None))
    assert stored[0].published_at is None
    assert stored[0].replayed_at is None


async def test_list_filters_by_reason_and_limit_and_replay_marks_once(
    conn: asyncpg.Connection,
) -> None:
    await record_dead_letters(
        conn, [letter(i, "schema" if i % 2 else "not_json") for i in range(6)]
    )
    schema = await list_dead_letters(conn, limit=10, reason="schema")
    assert [s.letter.source.offset for s in schema] == [1, 3, 5]
    assert len(await list_dead_letters(conn, limit=2)) == 2

    ids = [s.id for s in schema]
    assert await mark_replayed(conn, ids[:2]) == ids[:2]
    assert await mark_replayed(conn, ids) == ids[2:], "already replayed ones are not re-marked"
    after = await list_dead_letters(conn, limit=10, reason="schema")
    assert all(s.replayed_at is not None for s in after)


def test_the_value_rejects_bad_reasons_and_cuts_long_messages() -> None:
    with pytest.raises(ValueError, match="reason"):
        letter(1, "Not A Code")
    with pytest.raises(ValueError, match="offset"):
        MessageSource("t", 0, -1)
    assert len(letter(1, message="x" * 20_000).message) == MAX_MESSAGE_CHARS


async def test_the_table_refuses_what_the_contract_cannot_carry(conn: asyncpg.Connection) -> None:
    with pytest.raises(asyncpg.CheckViolationError):
        await conn.execute(
            "INSERT INTO dead_letters (source_topic, source_partition, source_offset, value,"
            " reason, message) VALUES ('t', 0, 0, '', 'Bad Reason', 'm')"
        )
