"""The outbox relay: one loop that drains ``outbox`` and ``dead_letters`` into Kafka.

Invariants:

* Only one relay per database is active: it holds a session advisory lock on its own
  connection. Others stand by and retry; when the holder's connection drops, the lock goes with
  it and a standby takes over. So two instances never interleave the versions of a key.
* Rows are selected by ``published_at IS NULL`` in id order, sent with an idempotent producer
  (acks=all), flushed, and only the acknowledged rows are marked (see ``publish_batch``).
  Anything else is sent again later: at-least-once, never skipped, per-key order kept.
* Failures (broker or database down) are logged and retried with capped exponential backoff;
  a Kafka failure keeps the lock (no other instance would do better), a lost database
  connection gives it up.
* ``stop()`` lets the in-flight batch finish (send, flush, mark), then closes everything.

A holder whose session dies while its batch is on the wire may still deliver that batch while
the new holder sends the same rows: duplicates, possibly interleaved for one batch, never a
loss (subscribers keep the highest version; without Kafka transactions there is no fencing).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping, Sequence
from typing import Any

import asyncpg
import structlog
from aiokafka import AIOKafkaProducer

from inventory_ledger.adapters.kafka.producer import start_idempotent_producer, stop_quietly
from inventory_ledger.adapters.kafka.publish import publish_batch
from inventory_ledger.adapters.kafka.relay_lock import RelayLock
from inventory_ledger.adapters.kafka.relay_sources import (
    DeadLetterSource,
    OutboxSource,
    RelaySource,
)

__all__ = ["OutboxRelay", "PublishFailedError"]

_log: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(__name__)


class PublishFailedError(RuntimeError):
    """Some rows of a batch were not acknowledged; they stay unmarked and are retried."""


class OutboxRelay:
    """Relays ``outbox`` rows to the balance-changed topic and dead letters to theirs."""

    def __init__(
        self,
        *,
        dsn: str,
        bootstrap_servers: str,
        balance_changed_topic: str = "inventory.balance-changed.v1",
        dead_letter_topic: str = "inventory.dead-letter.v1",
        batch_size: int = 500,
        poll_interval_s: float = 1.0,
        send_timeout_s: float = 30.0,
        backoff_initial_s: float = 0.5,
        backoff_max_s: float = 30.0,
        statement_timeout_ms: int = 30_000,
        producer_options: Mapping[str, Any] | None = None,
        name: str = "inventory-outbox-relay",
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        self._lock = RelayLock(dsn, name, statement_timeout_ms)
        self._bootstrap = bootstrap_servers
        self._sources: Sequence[RelaySource] = (
            OutboxSource(topic=balance_changed_topic),
            DeadLetterSource(topic=dead_letter_topic),
        )
        self._batch_size = batch_size
        self._poll_interval_s = poll_interval_s
        self._send_timeout_s = send_timeout_s
        self._backoff = (backoff_initial_s, backoff_max_s)
        self._producer_options = dict(producer_options or {})
        self._name = name
        self._producer: AIOKafkaProducer | None = None
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.last_error: str | None = None
        """The last failure, cleared by the next successful pass (for readiness/metrics)."""

    @property
    def active(self) -> bool:
        """Whether this instance holds the relay lock (the others stand by)."""
        return self._lock.held

    async def start(self) -> None:
        """Run the loop as a background task (idempotent)."""
        if self._task is None or self._task.done():
            self._stopping.clear()
            self._task = asyncio.create_task(self._run(), name=self._name)

    def notify(self) -> None:
        """Hint that rows were committed: relay now instead of after the poll interval."""
        self._wake.set()

    async def stop(self, timeout_s: float = 30.0) -> None:
        """Finish the in-flight batch, then release the lock and close; cancel after timeout."""
        self._stopping.set()
        self._wake.set()
        task, self._task = self._task, None
        if task is None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(task), timeout_s)
        except TimeoutError:
            _log.warning("outbox relay did not stop in time; cancelling", timeout_s=timeout_s)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        delay = self._backoff[0]
        try:
            while not self._stopping.is_set():
                try:
                    if not await self._acquire():
                        await self._idle(self._poll_interval_s)
                        continue
                    more = await self._relay_pass()
                except Exception as exc:
                    self.last_error = f"{type(exc).__name__}: {exc}"
                    _log.error("outbox relay pass failed; retrying", error=self.last_error,
                               retry_in_s=delay, active=self.active)  # fmt: skip
                    await self._reset(exc)
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._stopping.wait(), delay)
                    delay = min(delay * 2, self._backoff[1])
                    continue
                self.last_error, delay = None, self._backoff[0]
                if not more:
                    await self._idle(self._poll_interval_s)
        finally:
            await self._close()

    async def _idle(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)
        self._wake.clear()

    async def _acquire(self) -> bool:
        """Take (or keep) the relay lock; start the producer when active, drop it when not."""
        if not await self._lock.try_acquire():
            await self._stop_producer()
            return False
        if self._producer is None:
            self._producer = await start_idempotent_producer(
                self._bootstrap, self._name, self._producer_options
            )
        return True

    async def _relay_pass(self) -> bool:
        """Relay one batch of each source; True if a source had a full batch (more waiting)."""
        assert self._producer is not None
        conn = self._lock.conn
        more = False
        for source in self._sources:
            batch = await source.unpublished(conn, self._batch_size)
            if not batch:
                continue
            result = await publish_batch(self._producer, source.topic, batch, self._send_timeout_s)
            if result.acked:
                await source.mark_published(conn, result.acked)
            _log.debug("relayed", source=source.name, acked=len(result.acked))
            if result.failed:
                row_id, error = result.failed[0]
                raise PublishFailedError(
                    f"{len(result.failed)} of {len(batch)} {source.name} rows not acknowledged "
                    f"(first: id {row_id}: {type(error).__name__}: {error})"
                )
            more = more or len(batch) == self._batch_size
        return more

    async def _reset(self, exc: BaseException) -> None:
        """After a failure: a new producer unless it merely refused rows; a new connection if
        the old one broke (which also gave up the lock)."""
        if not isinstance(exc, PublishFailedError):
            await self._stop_producer()
        lost = isinstance(
            exc,
            asyncpg.PostgresConnectionError  # class 08: the connection is gone
            | asyncpg.InterfaceError  # closed under us
            | asyncpg.InternalClientError  # protocol state broken (seen after a terminate)
            | asyncpg.OperatorInterventionError,  # class 57: admin shutdown, terminated
        )
        if lost or isinstance(exc, OSError):
            self._lock.drop()

    async def _stop_producer(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            await stop_quietly(producer, self._send_timeout_s)

    async def _close(self) -> None:
        await self._stop_producer()
        await self._lock.release()
