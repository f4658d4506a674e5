"""The outbox relay: drains ``outbox`` and ``dead_letters`` into Kafka, each on its own lane.

Invariants:

* Only one relay per database is active: it holds a session advisory lock on its own
  connection. Others stand by and retry; when the holder's connection drops, the lock goes with
  it and a standby takes over. So two instances never interleave the versions of a key.
* Rows are selected by ``published_at IS NULL`` in id order, sent with an idempotent producer
  (acks=all), and only the acknowledged rows are marked (see ``publish_batch``). Anything else
  is sent again later: at-least-once, never skipped, per-key order kept.
* Each source is a *lane* with its own batches, schedule, backoff and producer. The lanes
  share only the lock's session (one query at a time): a lane waiting on a slow or failing
  topic never holds the other one up.
* Failures are retried with capped exponential backoff, as narrowly as their cause allows:

  - a row the broker refuses as it is (too large, corrupt; see ``is_row_fault``) holds back
    only its Kafka key: that key's rows are left out of the scan until its own backoff ends
    (then one row of it is sent as a probe), so its versions stay in order (``publish.py``
    names the one exception) and every other key keeps flowing;
  - any other failure of one source (a timeout, no leader, too few in-sync replicas, a query
    error) backs off that source only; the other one keeps publishing;
  - the relay as a whole backs off only when neither can run (the lock or its database
    session is lost, the producer cannot start). A Kafka failure keeps the lock (no other
    instance would do better); a lost database session gives it up.

  Every backoff is logged with its ``source`` (and keys), and :meth:`OutboxRelay.status`
  reports it per source. A lane replaces its producer after any failure but a row the
  producer itself refused (a record failed at the broker leaves the idempotent producer a
  sequence gap it cannot recover from, see ``PublishResult.sequence_gap``).
* ``stop()`` lets the in-flight batches finish (send, ack, mark), then closes everything.

A holder whose session dies while its batch is on the wire may still deliver that batch while
the new holder sends the same rows: duplicates, possibly interleaved for one batch, never a
loss (subscribers keep the highest version; without Kafka transactions there is no fencing).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import structlog
from aiokafka import AIOKafkaProducer

from inventory_ledger.adapters.kafka.producer import start_idempotent_producer, stop_quietly
from inventory_ledger.adapters.kafka.publish import PublishResult, is_row_fault, publish_batch
from inventory_ledger.adapters.kafka.relay_lock import RelayLock
from inventory_ledger.adapters.kafka.relay_sources import (
    DeadLetterSource,
    OutboxSource,
    Outgoing,
    RelaySource,
)

__all__ = ["OutboxRelay", "PublishFailedError", "SourceStatus"]

_log: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(__name__)

_LOGGED_KEYS = 5  # keys named in one log line; the count says how many more


class PublishFailedError(RuntimeError):
    """Some rows of a batch were not acknowledged; they stay unmarked and are retried."""


@dataclass(frozen=True)
class SourceStatus:
    """How one source is doing (for logs, readiness and metrics)."""

    source: str
    topic: str
    retry_in_s: float
    """Seconds until the source is tried again; 0 unless the whole source is backing off."""
    held_keys: int
    """Kafka keys held back after the broker refused one of their rows."""
    last_error: str | None
    """The source's failure, or else the error of one of its held keys."""


@dataclass(eq=False)
class _Backoff:
    """Capped exponential backoff of one thing that failed (a source, or a key of one)."""

    initial: float
    maximum: float
    delay: float = field(init=False)
    until: float = 0.0
    """``time.monotonic()`` from which it is tried again."""
    error: str | None = None

    def __post_init__(self) -> None:
        self.delay = self.initial

    def fail(self, error: str) -> float:
        """Record a failure; returns the seconds until the next try."""
        wait = self.delay
        self.until = time.monotonic() + wait
        self.delay = min(wait * 2, self.maximum)
        self.error = error
        return wait

    def waiting(self, now: float) -> bool:
        return self.until > now


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


def _show(key: bytes | None) -> str | None:
    return None if key is None else key.decode(errors="backslashreplace")


class _Lane:
    """One source's relay state: its schedule, its in-flight batch, its backoff, its held keys."""

    def __init__(self, source: RelaySource, backoff: tuple[float, float]) -> None:
        self.source = source
        self._backoff = backoff
        self.failure = _Backoff(*backoff)
        self.keys: dict[bytes | None, _Backoff] = {}
        self.task: asyncio.Task[bool] | None = None
        self.producer: AIOKafkaProducer | None = None
        self.next_run = 0.0
        """``time.monotonic()`` from which the next batch may start."""
        self.rerun = False
        """Rows were committed while a batch was in flight: start the next one at once."""
        self.notified = False
        """:meth:`OutboxRelay.notify` named this source since the loop last looked."""

    def due(self, now: float) -> bool:
        return self.task is None and now >= self.next_run

    def wake(self, now: float) -> None:
        """Rows were committed: run as soon as possible, unless the source is backing off."""
        if self.failure.waiting(now):
            return
        if self.task is not None:
            self.rerun = True
        else:
            self.next_run = min(self.next_run, now)

    def succeeded(self, full: bool, poll_interval_s: float) -> None:
        now = time.monotonic()
        if self.failure.error is not None:
            _log.info("outbox relay source recovered", source=self.source.name)
        self.failure = _Backoff(*self._backoff)
        if full or self.rerun:
            self.next_run = now
            return
        holds = [hold.until for hold in self.keys.values() if hold.waiting(now)]
        self.next_run = min([now + poll_interval_s, *holds])

    def failed(self, exc: BaseException) -> None:
        retry_in = self.failure.fail(_describe(exc))
        self.next_run = self.failure.until
        _log.error("outbox relay source backing off", source=self.source.name,
                   topic=self.source.topic, error=self.failure.error,
                   retry_in_s=retry_in)  # fmt: skip

    def held(self, now: float) -> list[bytes | None]:
        """Keys whose backoff is still running: the scan leaves their rows out."""
        return [key for key, hold in self.keys.items() if hold.waiting(now)]

    def probes(self, now: float) -> list[bytes | None]:
        """Held keys due for a retry: one row each is sent, the rest wait for its ack."""
        return [key for key, hold in self.keys.items() if not hold.waiting(now)]

    def settle(
        self, batch: Sequence[Outgoing], result: PublishResult, now: float, full: bool
    ) -> dict[bytes | None, tuple[BaseException, float]]:
        """Hold the keys the broker refused a row of; release the retried ones that went out.

        Returns the newly refused keys with their error and seconds until their retry.
        """
        refused: dict[bytes | None, tuple[BaseException, float]] = {}
        errors = result.key_errors()
        for key, error in errors.items():
            if is_row_fault(error):
                hold = self.keys.setdefault(key, _Backoff(*self._backoff))
                refused[key] = (error, hold.fail(_describe(error)))
        scanned = {item.key for item in batch}
        acked_ids = set(result.acked)
        acked = {item.key for item in batch if item.row_id in acked_ids}
        for key, hold in list(self.keys.items()):
            if hold.waiting(now) or key in errors:
                continue  # still waiting, or failed again just now
            if key in acked or (key not in scanned and not full):
                del self.keys[key]  # its probe went out, or none of its rows is left
                _log.info("outbox relay released a held key", source=self.source.name,
                          key=_show(key))  # fmt: skip
        return refused

    def status(self, now: float) -> SourceStatus:
        error = self.failure.error or next(
            (hold.error for hold in self.keys.values() if hold.error), None
        )
        return SourceStatus(
            source=self.source.name,
            topic=self.source.topic,
            retry_in_s=max(0.0, self.failure.until - now),
            held_keys=len(self.keys),
            last_error=error,
        )


def _session_lost(exc: BaseException) -> bool:
    """The relay's database session (and with it the lock) is gone or unusable."""
    return isinstance(
        exc,
        asyncpg.PostgresConnectionError  # class 08: the connection is gone
        | asyncpg.InterfaceError  # closed under us
        | asyncpg.InternalClientError  # protocol state broken (seen after a terminate)
        | asyncpg.OperatorInterventionError,  # class 57: admin shutdown, terminated
    ) or (isinstance(exc, OSError) and not isinstance(exc, TimeoutError))


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
        self._session = asyncio.Lock()  # one query at a time on the lock's connection
        self._bootstrap = bootstrap_servers
        self._backoff = (backoff_initial_s, backoff_max_s)
        self._lanes: Sequence[_Lane] = (
            _Lane(OutboxSource(topic=balance_changed_topic), self._backoff),
            _Lane(DeadLetterSource(topic=dead_letter_topic), self._backoff),
        )
        self._batch_size = batch_size
        self._poll_interval_s = poll_interval_s
        self._send_timeout_s = send_timeout_s
        self._producer_options = dict(producer_options or {})
        self._name = name
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._error: str | None = None

    @property
    def active(self) -> bool:
        """Whether this instance holds the relay lock (the others stand by)."""
        return self._lock.held

    @property
    def last_error(self) -> str | None:
        """The relay's failure, else a source's, else a held key's; None once all recovered."""
        return self._error or next(
            (status.last_error for status in self.status() if status.last_error), None
        )

    def status(self) -> tuple[SourceStatus, ...]:
        """Each source's backoff and held keys, right now."""
        now = time.monotonic()
        return tuple(lane.status(now) for lane in self._lanes)

    async def start(self) -> None:
        """Run the loop as a background task (idempotent)."""
        if self._task is None or self._task.done():
            self._stopping.clear()
            self._task = asyncio.create_task(self._run(), name=self._name)

    def notify(self, *, outbox: bool = True, dead_letters: bool = True) -> None:
        """Hint that rows were committed to ``outbox`` and/or ``dead_letters``: relay that
        source now instead of after the poll interval. A source not named is not queried
        (a batch without dead letters costs no dead-letter scan); it still polls."""
        for lane, named in zip(self._lanes, (outbox, dead_letters), strict=True):
            lane.notified = lane.notified or named
        self._wake.set()

    async def stop(self, timeout_s: float = 30.0) -> None:
        """Finish the in-flight batches, then release the lock and close; cancel after timeout."""
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
        try:
            await self._loop()
        except asyncio.CancelledError:  # stop() timed out: the batches in flight go too
            for lane in self._lanes:
                if lane.task is not None:
                    lane.task.cancel()
            raise
        finally:
            try:
                await self._drain()
            finally:
                await self._close()

    async def _loop(self) -> None:
        delay = self._backoff[0]  # of the relay as a whole (each lane has its own)
        while not self._stopping.is_set():
            try:
                if not self._in_flight() and not await self._acquire():
                    await self._idle(self._poll_interval_s)
                    continue
                await self._step()
            except Exception as exc:
                self._error = _describe(exc)
                _log.error("outbox relay pass failed; retrying", error=self._error,
                           retry_in_s=delay, active=self.active)  # fmt: skip
                await self._drain()
                await self._reset(exc)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), delay)
                delay = min(delay * 2, self._backoff[1])
                continue
            self._error, delay = None, self._backoff[0]

    def _in_flight(self) -> bool:
        return any(lane.task is not None for lane in self._lanes)

    async def _step(self) -> None:
        """Start a batch on every lane that is due, then wait until a batch ends, a commit is
        notified or the next lane is due; settle the batches that ended.

        Raises if a batch lost the database session (the whole relay must start over).
        """
        now = time.monotonic()
        conn = self._lock.conn
        for lane in self._lanes:
            if lane.due(now):
                lane.rerun = False
                lane.task = asyncio.create_task(
                    self._relay_lane(lane, conn), name=f"{self._name}-{lane.source.name}"
                )
        waiting = [lane.task for lane in self._lanes if lane.task is not None]
        woken = asyncio.create_task(self._wake.wait())
        try:
            await asyncio.wait([*waiting, woken], timeout=self._next_wait(),
                               return_when=asyncio.FIRST_COMPLETED)  # fmt: skip
        finally:
            woken.cancel()
        if self._wake.is_set():
            self._wake.clear()
            for lane in self._lanes:
                if lane.notified:
                    lane.notified = False
                    lane.wake(time.monotonic())
        lost = [exc for lane in self._lanes if (exc := self._settle(lane)) is not None]
        if lost:
            raise lost[0]

    def _settle(self, lane: _Lane) -> BaseException | None:
        """Take the outcome of the lane's finished batch; returns a lost session's error."""
        task = lane.task
        if task is None or not task.done():
            return None
        lane.task = None
        exc = task.exception() if not task.cancelled() else asyncio.CancelledError()
        if exc is None:
            lane.succeeded(task.result(), self._poll_interval_s)
            return None
        if _session_lost(exc):
            return exc  # not the source's fault: the whole relay starts over
        lane.failed(exc)
        return None

    def _next_wait(self) -> float:
        """Seconds until an idle lane is due (at most the poll interval)."""
        now = time.monotonic()
        starts = [lane.next_run - now for lane in self._lanes if lane.task is None]
        return max(0.0, min([self._poll_interval_s, *starts]))

    async def _drain(self) -> None:
        """Let the in-flight batches finish and take their outcomes."""
        tasks = [lane.task for lane in self._lanes if lane.task is not None]
        if tasks:
            await asyncio.wait(tasks)
        for lane in self._lanes:
            self._settle(lane)

    async def _idle(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)
        self._wake.clear()

    async def _acquire(self) -> bool:
        """Take (or keep) the relay lock; start the producers when active, drop them when not.

        Called between batches only; a producer that cannot start (the broker is down) fails
        the relay as a whole.
        """
        if not await self._lock.try_acquire():
            await self._stop_producers()
            return False
        for lane in self._lanes:
            await self._producer(lane)
        return True

    async def _producer(self, lane: _Lane) -> AIOKafkaProducer:
        if lane.producer is None:
            lane.producer = await start_idempotent_producer(
                self._bootstrap, f"{self._name}-{lane.source.name}", self._producer_options
            )
        return lane.producer

    async def _relay_lane(self, lane: _Lane, conn: asyncpg.Connection) -> bool:
        """One batch of one source; True if it was full. Raises if rows failed for a reason
        other than the rows themselves (their keys are held back instead). Replaces the lane's
        producer after anything but rows the producer itself refused."""
        try:
            result, full = await self._publish_lane(lane, conn)
        except BaseException:
            await self._stop_producer(lane)
            raise
        if result.sequence_gap:
            await self._stop_producer(lane)
        other = [f for f in result.failed if not f.held_back and not is_row_fault(f.error)]
        if other:
            raise PublishFailedError(
                f"{len(result.failed)} {lane.source.name} rows not acknowledged "
                f"(first: id {other[0].row_id}: {_describe(other[0].error)})"
            )
        return full

    async def _publish_lane(
        self, lane: _Lane, conn: asyncpg.Connection
    ) -> tuple[PublishResult, bool]:
        """Scan, send, mark, and hold back the keys the broker refused."""
        producer = await self._producer(lane)
        source, now = lane.source, time.monotonic()
        async with self._session:
            batch = await source.unpublished(conn, self._batch_size, lane.held(now))
        full = len(batch) == self._batch_size
        result = PublishResult()
        if batch:
            result = await publish_batch(
                producer, source.topic, batch, self._send_timeout_s, lane.probes(now)
            )
        if result.acked:
            async with self._session:
                await source.mark_published(conn, result.acked)
        _log.debug("relayed", source=source.name, acked=len(result.acked))
        refused = lane.settle(batch, result, now, full)
        if refused:
            first_error, retry_in = next(iter(refused.values()))
            _log.error("outbox relay holds back keys the broker refused", source=source.name,
                       topic=source.topic, keys=[_show(k) for k in list(refused)[:_LOGGED_KEYS]],
                       refused=len(refused), held_keys=len(lane.keys),
                       error=_describe(first_error), retry_in_s=retry_in)  # fmt: skip
        return result, full

    async def _reset(self, exc: BaseException) -> None:
        """After the relay as a whole failed: new producers, and a new session if the old one
        broke (which also gave up the lock)."""
        await self._stop_producers()
        if _session_lost(exc):
            self._lock.drop()

    async def _stop_producer(self, lane: _Lane) -> None:
        producer, lane.producer = lane.producer, None
        if producer is not None:
            await stop_quietly(producer, self._send_timeout_s)

    async def _stop_producers(self) -> None:
        for lane in self._lanes:
            await self._stop_producer(lane)

    async def _close(self) -> None:
        await self._stop_producers()
        await self._lock.release()
