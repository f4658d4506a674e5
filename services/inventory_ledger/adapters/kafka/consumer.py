"""The inbound consumer: a FastStream batch subscriber on the five inbound topics.

Configuration follows docs/consumer-design.md (measured on the real broker): batches, manual
offset commits only after the handler returned (``AckPolicy.NACK_ON_ERROR``: success commits,
an exception seeks back so the same batch comes again), no typed body so nothing can fail
before our code runs. The handler parses, calls one application function, and returns.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512

from inventory_ledger import failpoints
from inventory_ledger.adapters.kafka.records import KafkaRecord, split_records
from inventory_ledger.application.apply_batch import BatchResult, Inbound
from inventory_ledger.application.dead_letter import DeadLetter
from inventory_ledger.application.ingest import RetryPolicy, ingest
from inventory_ledger.application.ports import LedgerStore
from inventory_ledger.settings import Settings

__all__ = ["BatchObserver", "Ingestor", "build_broker"]


BatchObserver = Callable[[Sequence[Inbound], Sequence[DeadLetter], BatchResult, float], None]
"""Told of every committed batch: its events, its dead letters, what it did, how long it took."""


class Ingestor:
    """Parse a batch of records, apply it in one transaction, then wake the outbox relay."""

    def __init__(
        self,
        store: LedgerStore,
        retry: RetryPolicy,
        on_commit: Callable[[], None],
        observe: BatchObserver | None = None,
    ) -> None:
        self._store = store
        self._retry = retry
        self._on_commit = on_commit
        self._observe = observe

    async def handle(self, records: Sequence[KafkaRecord]) -> None:
        started = time.perf_counter()
        inbound, letters = split_records(records)
        result = await ingest(self._store, inbound, letters, self._retry)
        failpoints.hit("after_db_commit_before_ack")  # drills only; no-op unless armed
        self._on_commit()
        if self._observe is not None:
            self._observe(inbound, letters, result, time.perf_counter() - started)


def _security(settings: Settings) -> BaseSecurity | None:
    options = settings.kafka_options()
    ssl_context = options.get("ssl_context")
    protocol = settings.kafka_security_protocol
    if protocol.startswith("SASL"):
        user = settings.kafka_sasl_username or ""
        password = (
            settings.kafka_sasl_password.get_secret_value() if settings.kafka_sasl_password else ""
        )
        cls = {
            "SCRAM-SHA-256": SASLScram256,
            "SCRAM-SHA-512": SASLScram512,
        }.get(settings.kafka_sasl_mechanism or "PLAIN", SASLPlaintext)
        return cls(user, password, ssl_context=ssl_context, use_ssl=protocol == "SASL_SSL")
    if protocol == "SSL":
        return BaseSecurity(ssl_context=ssl_context, use_ssl=True)
    return None


def build_broker(settings: Settings, ingestor: Ingestor, **broker_options: Any) -> KafkaBroker:
    """A broker with the inbound subscriber registered (nothing connects until ``start``)."""
    broker = KafkaBroker(
        settings.kafka_bootstrap_servers,
        security=_security(settings),
        # Half the budget for the in-flight batch: the relay, HTTP and pool need the rest.
        graceful_timeout=settings.shutdown_timeout_s / 2,
        client_id=f"{settings.consumer_group}-consumer",
        **broker_options,
    )

    @broker.subscriber(
        *settings.inbound_topics,
        group_id=settings.consumer_group,
        batch=True,
        max_records=settings.batch_max_records,
        batch_timeout_ms=settings.batch_timeout_ms,
        max_poll_interval_ms=settings.max_poll_interval_ms,
        ack_policy=AckPolicy.NACK_ON_ERROR,
        auto_offset_reset="earliest",
    )
    async def consume_inbound(msg: KafkaMessage) -> None:
        """Apply a batch of inbound records (purchasing, sales, shipping, jobs, adjustments)."""
        await ingestor.handle(msg.raw_message)

    return broker
