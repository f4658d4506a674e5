"""Writes that go out without waiting for their replies, in order, on one connection.

A unit of work ends with a run of writes whose results nothing reads (document states,
transactions, balances, outbox, claims, the cost log and rows). Awaiting each reply before
building the next statement leaves the server idle while the client encodes, and the client
idle while the server writes. :meth:`StatementPipeline.send` queues a write behind the ones
already sent and lets it go out at once, so the caller builds the next statement while the
server runs this one. Everything stays in order on the connection; a read first waits for
the writes before it (:meth:`drain`), and so does the commit. A write that fails fails the
unit of work at the next read or at the end, before anything commits.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

__all__ = ["StatementPipeline"]

Write = Callable[[], Awaitable[object]]


class StatementPipeline:
    """The writes sent on one connection and not yet known to have finished."""

    def __init__(self) -> None:
        self._tail: asyncio.Future[None] | None = None

    async def send(self, write: Write) -> None:
        """Run ``write`` after the writes sent before it; return once it has started."""
        self._tail = asyncio.ensure_future(_after(self._tail, write))
        await asyncio.sleep(0)  # one turn of the loop: the statement goes out now

    async def drain(self) -> None:
        """Wait for every write sent so far; raise the first failure."""
        tail, self._tail = self._tail, None
        if tail is not None:
            await tail

    async def abandon(self) -> None:
        """The unit of work failed: stop the writes in flight and wait until they stopped.

        Cancelling the last write cancels the chain it waits on. Their own failures are
        dropped (the unit of work already failed); a cancellation of the caller still raises.
        """
        tail, self._tail = self._tail, None
        if tail is None:
            return
        tail.cancel()
        await asyncio.wait([tail])
        if not tail.cancelled():
            tail.exception()  # retrieved: not reported as never retrieved


async def _after(previous: asyncio.Future[None] | None, write: Write) -> None:
    if previous is not None:
        await previous
    await write()
