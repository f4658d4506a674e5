"""Writes sent without waiting: in order, overlapped with the caller, failures not lost."""

from __future__ import annotations

import asyncio

import pytest

from inventory_ledger.adapters.postgres.pipeline import StatementPipeline

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
