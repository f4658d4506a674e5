"""Writes sent without waiting: in order, overlapped with the caller, failures not lost;
writes held and sent as one statement."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import pytest

from inventory_ledger.adapters.postgres.pipeline import StatementPipeline, Write, combine

pytestmark = pytest.mark.unit


class _Server:
    """Runs one statement at a time, like a connection, and records what happened."""

    def __init__(self) -> None:
        self.log: list[str] = []
        self.busy = False

    async def run(self, name: str, seconds: float = 0.01, fail: bool = False) -> None:
        assert not self.busy, "two statements at once on one connection"
        self.busy = True
        self.log.append(f"start {name}")
        try:
            await asyncio.sleep(seconds)
            if fail:
                raise RuntimeError(f"{name} failed")
            self.log.append(f"end {name}")
        finally:
            self.busy = False


async def test_writes_run_in_order_one_at_a_time_while_the_caller_goes_on() -> None:
    server, pipe = _Server(), StatementPipeline()
    await pipe.send(lambda: server.run("a"))
    assert server.log == ["start a"]  # it went out before send returned
    await pipe.send(lambda: server.run("b"))
    await pipe.send(lambda: server.run("c"))
    assert "end c" not in server.log  # the caller did not wait for the replies
    await pipe.drain()
    assert server.log == ["start a", "end a", "start b", "end b", "start c", "end c"]


async def test_a_failed_write_fails_the_drain_and_stops_the_writes_after_it() -> None:
    server, pipe = _Server(), StatementPipeline()
    await pipe.send(lambda: server.run("a", fail=True))
    await pipe.send(lambda: server.run("b"))
    with pytest.raises(RuntimeError, match="a failed"):
        await pipe.drain()
    assert server.log == ["start a"]
    await pipe.drain()  # nothing pending any more


async def test_abandon_stops_the_writes_in_flight_and_drops_their_failures() -> None:
    server, pipe = _Server(), StatementPipeline()
    await pipe.send(lambda: server.run("slow", seconds=10))
    await pipe.send(lambda: server.run("next"))
    await pipe.abandon()
    assert server.log == ["start slow"]
    assert not server.busy  # the connection is free for the rollback
    await pipe.send(lambda: server.run("a", fail=True))
    await asyncio.sleep(0.05)
    await pipe.abandon()  # its failure is not raised (the unit of work already failed)


# --- writes held and sent as one statement ------------------------------------------------------


class _Conn:
    """A connection that records the statements it is given (one at a time)."""

    def __init__(self, row: tuple[int, ...] = (1,), fail: Exception | None = None) -> None:
        self.statements: list[tuple[str, tuple[object, ...]]] = []
        self.row, self.fail = row, fail

    async def execute(self, sql: str, *args: object) -> str:
        self.statements.append((sql, args))
        if self.fail is not None:
            raise self.fail
        return "UPDATE 1"

    async def fetchrow(self, sql: str, *args: object) -> tuple[int, ...]:
        self.statements.append((sql, args))
        if self.fail is not None:
            raise self.fail
        return self.row


def _pipe(conn: _Conn) -> StatementPipeline:
    return StatementPipeline(cast(Any, conn))


def test_combined_statements_are_with_items_with_their_parameters_renumbered() -> None:
    sql, args = combine(
        [
            Write("UPDATE a SET x = $2 WHERE id = $1", (1, "x")),
            Write("INSERT INTO b SELECT * FROM unnest($1::text[])", (["p", "q"],)),
            Write("UPDATE c SET n = $2 WHERE n = $1 RETURNING n", (3, 4), check=lambda n: None),
        ]
    )
    assert sql == (
        "WITH w0 AS (\nUPDATE a SET x = $2 WHERE id = $1),\n"
        "w1 AS (\nINSERT INTO b SELECT * FROM unnest($3::text[])),\n"
        "w2 AS (\nUPDATE c SET n = $5 WHERE n = $4 RETURNING n)\n"
        "SELECT (SELECT count(*) FROM w2)"
    )
    assert args == [1, "x", ["p", "q"], 3, 4]


def test_a_statement_whose_parameters_do_not_match_its_arguments_is_not_combined() -> None:
    with pytest.raises(ValueError, match="cannot combine"):
        combine([Write("UPDATE a SET x = $2", (1,))])
    with pytest.raises(ValueError, match="cannot combine"):
        combine([Write("DO $$ BEGIN END $$")])


async def test_held_writes_go_out_as_one_statement_at_the_drain() -> None:
    conn = _Conn()
    pipe = _pipe(conn)
    pipe.write(Write("UPDATE a SET x = $1", (1,)))
    pipe.write(Write("UPDATE b SET y = $1", (2,)))
    await asyncio.sleep(0.01)
    assert conn.statements == []  # held until a read, a send or the commit
    await pipe.drain()
    assert len(conn.statements) == 1
    sql, args = conn.statements[0]
    assert sql.startswith("WITH w0 AS")
    assert "UPDATE b SET y = $2" in sql
    assert args == (1, 2)


async def test_a_send_goes_after_the_writes_held_before_it() -> None:
    conn = _Conn()
    pipe = _pipe(conn)
    pipe.write(Write("UPDATE a SET x = $1", (1,)))  # a lone write goes out as itself
    await pipe.send(lambda: conn.execute("COPY t"))
    pipe.write(Write("UPDATE b SET y = $1", (2,)))
    await pipe.drain()
    assert [sql for sql, _ in conn.statements] == [
        "UPDATE a SET x = $1",
        "COPY t",
        "UPDATE b SET y = $1",
    ]


async def test_checks_get_the_counts_of_their_own_writes() -> None:
    conn, counts = _Conn(row=(1, 0)), []
    pipe = _pipe(conn)
    pipe.write(Write("UPDATE a SET x = 1 RETURNING x", check=counts.append))
    pipe.write(Write("UPDATE b SET x = 1"))
    pipe.write(Write("UPDATE c SET x = 1 RETURNING x", check=counts.append))
    await pipe.drain()
    assert counts == [1, 0]
    lone = _pipe(conn)
    lone.write(Write("UPDATE d SET x = 1 RETURNING x", check=counts.append))
    await lone.drain()
    assert counts == [1, 0, 1]  # from the command tag, "UPDATE 1"


async def test_a_failure_is_translated_by_the_write_it_concerns() -> None:
    class ConflictError(Exception):
        pass

    def claims(exc: Exception) -> Exception | None:
        return ConflictError("redo") if "claims" in str(exc) else None

    conn = _Conn(fail=RuntimeError("duplicate key in claims"))
    pipe = _pipe(conn)
    pipe.write(Write("UPDATE a SET x = 1"))
    pipe.write(Write("INSERT INTO claims VALUES (1)", translate=claims))
    with pytest.raises(ConflictError) as caught:
        await pipe.drain()
    assert isinstance(caught.value.__cause__, RuntimeError)
    other = _pipe(_Conn(fail=RuntimeError("disk full")))
    other.write(Write("UPDATE a SET x = 1"))
    other.write(Write("INSERT INTO claims VALUES (1)", translate=claims))
    with pytest.raises(RuntimeError, match="disk full"):
        await other.drain()


async def test_abandon_drops_the_held_writes() -> None:
    conn = _Conn()
    pipe = _pipe(conn)
    pipe.write(Write("UPDATE a SET x = 1"))
    await pipe.abandon()
    await pipe.drain()
    assert conn.statements == []
