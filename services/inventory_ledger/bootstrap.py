"""The one wiring place: builds the running service from Settings (nothing connects at import).

``Service`` owns the asyncpg pool, the ledger store, the FastStream consumer, the outbox relay,
the metrics and the HTTP API. Shutdown order (SIGTERM): stop fetching and finish the in-flight
batch (its offsets are committed after its DB commit), let the relay publish what was committed
and release its lock, stop the HTTP server, then close the pool — within ``shutdown_timeout_s``.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from dataclasses import dataclass, field
from functools import partial

import asyncpg
import structlog
from faststream.kafka import KafkaBroker

from inventory_ledger.adapters.cold_store import FileColdStore
from inventory_ledger.adapters.http.api import create_api
from inventory_ledger.adapters.http.health import ServiceHealthProbe
from inventory_ledger.adapters.http.server import HttpServer
from inventory_ledger.adapters.kafka.alignment import PartitionAligner
from inventory_ledger.adapters.kafka.consumer import BatchObserver, Ingestor, build_broker
from inventory_ledger.adapters.kafka.consumer_metrics import BatchCounter
from inventory_ledger.adapters.kafka.lag import consumer_lag
from inventory_ledger.adapters.kafka.outbox_relay import OutboxRelay
from inventory_ledger.adapters.postgres.connection import pool_options
from inventory_ledger.adapters.postgres.ledger_reads import outbox_backlog
from inventory_ledger.adapters.postgres.store import PostgresLedgerStore
from inventory_ledger.application.cost_tracking import CostTracker, MethodsByLic
from inventory_ledger.application.ingest import RetryPolicy
from inventory_ledger.metrics import LedgerMetrics
from inventory_ledger.settings import Settings

__all__ = ["Service", "run_service"]

_log: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(__name__)


@dataclass
class Service:
    """The consumer, the relay and the pool of one service instance."""

    settings: Settings
    observe: BatchObserver | None = None
    serve_http: bool = True
    metrics: LedgerMetrics | None = None
    pool: asyncpg.Pool | None = field(default=None, init=False)
    relay: OutboxRelay | None = field(default=None, init=False)
    broker: KafkaBroker | None = field(default=None, init=False)
    http: HttpServer | None = field(default=None, init=False)
    costs: CostTracker | None = field(default=None, init=False)
    _gauges: asyncio.Task[None] | None = field(default=None, init=False)
    _pacer: asyncio.Task[None] | None = field(default=None, init=False)

    async def start(self) -> None:
        s = self.settings
        self.pool = await asyncpg.create_pool(
            s.database_url.get_secret_value(),
            min_size=s.db_pool_min_size,
            max_size=s.db_pool_max_size,
            **pool_options(s.db_statement_timeout_ms),
        )
        self.relay = OutboxRelay(
            dsn=s.database_url.get_secret_value(),
            bootstrap_servers=s.kafka_bootstrap_servers,
            balance_changed_topic=s.topic_balance_changed,
            dead_letter_topic=s.topic_dead_letter,
            batch_size=s.relay_batch_size,
            poll_interval_s=s.relay_poll_interval_s,
            producer_options=s.producer_options(),
        )
        await self.relay.start()
        if self.serve_http:
            self.metrics = self.metrics or LedgerMetrics.create()
            probe = ServiceHealthProbe(self.pool, s.kafka_options(), s.readiness_timeout_s)
            api = create_api(s, self.pool, probe, registry=self.metrics.registry)
            self.http = HttpServer(api, s.http_host, s.http_port)
            await self.http.start()
        observe = self.observe or (BatchCounter(self.metrics) if self.metrics else None)
        if s.cost_tracking:
            self.costs = CostTracker(
                MethodsByLic(s.costing_methods),
                history_steps=s.cost_history_steps,
                resident_entries=s.cost_resident_entries,
                cold_store=partial(FileColdStore, s.cost_spill_dir),
            )
        ingestor = Ingestor(
            PostgresLedgerStore(self.pool),
            RetryPolicy(give_up_after_s=s.retry_max_s),
            on_commit=self.relay.notify,
            observe=observe,
            costs=self.costs,
        )
        aligner = PartitionAligner(s.catchup_window_ms)
        self.broker = build_broker(s, ingestor, aligner, logger=None)
        await self.broker.start()
        if s.catchup_window_ms > 0:
            self._pacer = asyncio.create_task(aligner.run(), name="partition-alignment")
        if self.metrics is not None:
            self._gauges = asyncio.create_task(self._update_gauges(), name="metrics-gauges")
        _log.info(
            "service started",
            topics=s.inbound_topics,
            group=s.consumer_group,
            http=f"{s.http_host}:{self.http.port}" if self.http else None,
        )

    async def _update_gauges(self) -> None:
        """Consumer lag and outbox backlog, every ``metrics_interval_s`` (best effort)."""
        assert self.metrics is not None
        assert self.pool is not None
        while True:
            try:
                for tp, lag in (await consumer_lag(self.settings)).items():
                    self.metrics.consumer_lag.labels(tp.topic, str(tp.partition)).set(lag)
                async with self.pool.acquire() as conn:
                    self.metrics.outbox_backlog.set(await outbox_backlog(conn))
            except Exception as exc:  # metrics must never take the service down
                _log.warning("metrics update failed", error=repr(exc))
            await asyncio.sleep(self.settings.metrics_interval_s)

    async def stop(self) -> None:
        """Drain and close, within ``shutdown_timeout_s`` overall."""
        timeout = self.settings.shutdown_timeout_s
        try:
            await asyncio.wait_for(self._stop_parts(), timeout)
        except TimeoutError:
            _log.error("shutdown took longer than shutdown_timeout_s", timeout_s=timeout)

    async def _stop_parts(self) -> None:
        for task in (self._gauges, self._pacer):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self.broker is not None:
            await self.broker.stop()
        if self.costs is not None:
            self.costs.close()
        if self.relay is not None:
            await self.relay.stop(timeout_s=self.settings.shutdown_timeout_s / 2)
        if self.http is not None:
            await self.http.stop(timeout_s=5)
        if self.pool is not None:
            await self.pool.close()
        _log.info("service stopped")


async def run_service(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Run until SIGTERM/SIGINT (or ``stop`` is set), then shut down gracefully."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    service = Service(settings)
    try:
        await service.start()
        await stop.wait()
        _log.info("stopping: draining the in-flight batch and the outbox")
    finally:
        await service.stop()
