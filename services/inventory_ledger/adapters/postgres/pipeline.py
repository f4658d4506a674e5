"""Writes that go out without waiting for their replies, in order, on one connection.

A unit of work ends with a run of writes whose results nothing reads (document states,
transactions, balances, outbox, claims, the cost log and rows). Awaiting each reply before
building the next statement leaves the server idle while the client encodes, and the client
idle while the server writes. :meth:`StatementPipeline.send` queues a write behind the ones
already sent and lets it go out at once, so the caller builds the next statement while the
server runs this one. Everything stays in order on the connection; a read first waits for
the writes before it (:meth:`drain`), and so does the commit. A write that fails fails the
unit of work at the next read or at the end, before anything commits.

**Statements that touch different rows go out as one** (:meth:`StatementPipeline.write`):
each statement is a round trip, and a round trip is not free even on one machine (a client
write and read, the server's wake-up, parse-bind-execute: about 110 µs of the client's CPU
per trivial statement on the benchmark's machine). Writes queued with ``write`` are held
until the next ``send``, read or commit and then sent as **one** statement, each a
data-modifying ``WITH`` item of it (:func:`combine`). PostgreSQL runs every such item once,
to completion, on one snapshot, in an order it chooses: so the statements combined must not
touch the same rows or read each other's writes. Constraint checks (keys, foreign keys) hold
as for separate statements; a failure fails them all, and the transaction with them.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial

import orjson

from inventory_ledger.adapters.postgres.connection import Connection

__all__ = ["StatementPipeline", "Write", "combine", "json_rows", "run_writes"]

Send = Callable[[], Awaitable[object]]

_PARAMETER = re.compile(r"\$(\d+)")


@dataclass(frozen=True, slots=True)
class Write:
    """One data-modifying statement with its arguments.

    ``check``: called with the number of rows the statement changed (its SQL then ends in
    ``RETURNING``), to raise if that is wrong. ``translate``: turns the failure of the
    statement it sits in into the caller's error (``None``: not this write's concern).
    """

    sql: str
    args: tuple[object, ...] = ()
    check: Callable[[int], None] | None = None
    translate: Callable[[Exception], Exception | None] | None = None


def json_rows(rows: Iterable[tuple[object, ...]]) -> str:
    """Positional rows as one JSON array, a ``Write``'s jsonb parameter (``Decimal`` as exact
    strings, times in ISO 8601; read with ``jsonb_array_elements``)."""
    return orjson.dumps(list(rows), default=str).decode()


def combine(writes: Sequence[Write]) -> tuple[str, list[object]]:
    """One statement running ``writes`` (each a ``WITH`` item), and its arguments.

    It returns one row: per write with a ``check``, in order, the number of rows it changed.
    """
    items: list[str] = []
    args: list[object] = []
    counted: list[str] = []
    for n, write in enumerate(writes):
        offset = len(args)
        numbers = [int(m) for m in _PARAMETER.findall(write.sql)]
        if "$$" in write.sql or max(numbers, default=0) != len(write.args):
            raise ValueError(f"cannot combine a statement with other parameters: {write.sql!r}")
        sql = _PARAMETER.sub(partial(_shift, offset), write.sql.strip())
        items.append(f"w{n} AS (\n{sql})")
        args.extend(write.args)
        if write.check is not None:
            counted.append(f"(SELECT count(*) FROM w{n})")
    joined = ",\n".join(items)
    return f"WITH {joined}\nSELECT {', '.join(counted) or '1'}", args


def _shift(offset: int, match: re.Match[str]) -> str:
    return f"${int(match[1]) + offset}"


async def run_writes(conn: Connection, writes: Sequence[Write]) -> None:
    """Run ``writes`` in one round trip (a lone write as itself)."""
    try:
        if len(writes) == 1:
            write = writes[0]
            status = await conn.execute(write.sql, *write.args)
            if write.check is not None:
                write.check(int(status.rsplit(" ", 1)[-1]))
            return
        sql, args = combine(writes)
        row = await conn.fetchrow(sql, *args)
    except Exception as exc:
        for write in writes:
            error = None if write.translate is None else write.translate(exc)
            if error is not None:
                raise error from exc
        raise
    checked = [write.check for write in writes if write.check is not None]
    if checked:
        assert row is not None
        for check, count in zip(checked, row, strict=True):
            check(count)


class StatementPipeline:
    """The writes sent on one connection and not yet known to have finished."""

    def __init__(self, conn: Connection | None = None) -> None:
        self._conn = conn
        self._tail: asyncio.Future[None] | None = None
        self._held: list[Write] = []

    def write(self, write: Write) -> None:
        """Hold ``write`` to go out, with the writes held beside it, as one statement."""
        if self._conn is None:
            raise RuntimeError("a pipeline without a connection cannot combine writes")
        self._held.append(write)

    async def send(self, send: Send) -> None:
        """Run ``send`` after the writes before it; return once it has started."""
        self._release()
        self._chain(send)
        await asyncio.sleep(0)  # one turn of the loop: the statement goes out now

    async def drain(self) -> None:
        """Wait for every write sent or held so far; raise the first failure."""
        self._release()
        tail, self._tail = self._tail, None
        if tail is not None:
            await tail

    async def abandon(self) -> None:
        """The unit of work failed: stop the writes in flight and wait until they stopped.

        Held writes are dropped. Cancelling the last write cancels the chain it waits on.
        Their own failures are dropped (the unit of work already failed); a cancellation of
        the caller still raises.
        """
        self._held = []
        tail, self._tail = self._tail, None
        if tail is None:
            return
        tail.cancel()
        await asyncio.wait([tail])
        if not tail.cancelled():
            tail.exception()  # retrieved: not reported as never retrieved

    def _release(self) -> None:
        """Send the held writes (one statement) behind those already sent."""
        held, self._held = self._held, []
        if held:
            conn = self._conn
            assert conn is not None
            self._chain(lambda: run_writes(conn, held))

    def _chain(self, send: Send) -> None:
        self._tail = asyncio.ensure_future(_after(self._tail, send))


async def _after(previous: asyncio.Future[None] | None, send: Send) -> None:
    if previous is not None:
        await previous
    await send()
