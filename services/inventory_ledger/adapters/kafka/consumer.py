"""The inbound consumer: a FastStream batch subscriber on the five inbound topics.

Configuration follows docs/consumer-design.md (measured on the real broker): batches, manual
offset commits only after the handler returned (``AckPolicy.NACK_ON_ERROR``: success commits,
an exception seeks back so the same batch comes again), no typed body so nothing can fail
before our code runs. The handler parses, calls one application function, and returns.

The broker also documents itself (``adapters/kafka/asyncapi.py`` renders it as AsyncAPI): the
subscriber and two documentation-only publishers carry titles, descriptions and the contract's
models. Those declarations change nothing at run time: the subscriber still takes raw records
and the outbox relay, not these publishers, produces to the outbound topics.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, Final, Protocol, cast

import structlog
from aiokafka import ConsumerRecord
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.kafka.subscriber.specification import KafkaSubscriberSpecification
from faststream.message import StreamMessage
from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512
from pydantic import TypeAdapter

from inventory_contracts import (
    EVENT_KEY_FIELDS,
    EVENT_SOURCES,
    BalanceChanged,
    InboundEvent,
    Source,
)
from inventory_contracts import DeadLetter as DeadLetterRecord
from inventory_ledger import failpoints
from inventory_ledger.adapters.kafka.alignment import PartitionAligner
from inventory_ledger.adapters.kafka.fetch_release import release_dropped_fetches
from inventory_ledger.adapters.kafka.records import KafkaRecord, split_records
from inventory_ledger.adapters.kafka.time_order import draw_in_time_order
from inventory_ledger.application.apply_batch import BatchResult, Inbound
from inventory_ledger.application.cost_tracking import CostTracker
from inventory_ledger.application.dead_letter import DeadLetter
from inventory_ledger.application.ingest import RetryPolicy, ingest
from inventory_ledger.application.ports import LedgerStore
from inventory_ledger.settings import Settings

_log: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(__name__)

__all__ = ["BatchHandler", "BatchObserver", "CommitListener", "Ingestor", "build_broker"]


BatchObserver = Callable[[Sequence[Inbound], Sequence[DeadLetter], BatchResult, float], None]
"""Told of every committed batch: its events, its dead letters, what it did, how long it took."""


class CommitListener(Protocol):
    """Told right after a batch committed which of the relay's tables it wrote rows to
    (``OutboxRelay.notify``)."""

    def __call__(self, *, outbox: bool, dead_letters: bool) -> None: ...


class BatchHandler(Protocol):
    """What the subscriber hands each batch of raw records to (an :class:`Ingestor`)."""

    async def handle(self, records: Sequence[KafkaRecord]) -> None: ...


class Ingestor:
    """Parse a batch of records, apply it in one transaction, then wake the outbox relay."""

    def __init__(
        self,
        store: LedgerStore,
        retry: RetryPolicy,
        on_commit: CommitListener,
        observe: BatchObserver | None = None,
        costs: CostTracker | None = None,
    ) -> None:
        self._store = store
        self._retry = retry
        self._costs = costs
        self._on_commit = on_commit
        self._observe = observe

    async def handle(self, records: Sequence[KafkaRecord]) -> None:
        started = time.perf_counter()
        inbound, letters = split_records(records)
        try:
            result = await ingest(self._store, inbound, letters, self._retry, self._costs)
        except Exception:
            # not acked: FastStream seeks back and the batch is delivered again
            _log.exception("batch failed; it will be delivered again", records=len(records))
            raise
        failpoints.hit("after_db_commit_before_ack")  # drills only; no-op unless armed
        # the relay publishes now, not at its next poll; it never has to wait for our ack
        self._on_commit(outbox=bool(result.changes), dead_letters=bool(letters or result.rejected))
        if self._observe is not None:
            try:
                self._observe(inbound, letters, result, time.perf_counter() - started)
            except Exception:  # the batch is committed: a failure here must not redeliver it
                _log.exception("counting a committed batch failed", records=len(records))


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


# --- documentation only (AsyncAPI) -------------------------------------------------------------

INBOUND_TITLE: Final = "inbound"
BALANCE_CHANGED_TITLE: Final = "inventory.balance_changed"
DEAD_LETTER_TITLE: Final = "dead_letter"


class _ContractPayload(KafkaSubscriberSpecification):
    """Documents the raw-record subscriber's payload as the contract's inbound union.

    FastStream derives a subscriber's payload from the handler's body parameter, and ours has
    none on purpose (nothing may fail before our code runs); unlike a publisher's ``schema=``
    a subscriber has no option for it. Only the document changes: decoding does not.
    """

    __slots__ = ()

    def get_payloads(self) -> list[tuple[dict[str, Any], str]]:
        schema = TypeAdapter(InboundEvent).json_schema(mode="validation")
        return [({**schema, "title": "InboundEvent"}, "")]


def _inbound_description(settings: Settings) -> str:
    topics = []
    for source, topic in zip(Source, settings.inbound_topics, strict=True):  # contracts.md order
        events = ", ".join(
            f"`{event}` (key `data.{EVENT_KEY_FIELDS[event]}`)"
            for event, event_source in EVENT_SOURCES.items()
            if event_source is source
        )
        topics.append(f"`{topic}`: {events}")
    return (
        "Inbound business events: one JSON envelope (`event_id`, `event_type`, "
        "`schema_version`, `occurred_at`, `data`) per record, UTF-8. Consumed in batches by "
        f"the consumer group `{settings.consumer_group}`; offsets are committed only after the "
        "batch's database transaction, and a redelivered `event_id` changes nothing. A record "
        "that breaks the contract or a business rule is dead-lettered, never retried. "
        "Per topic: " + "; ".join(topics) + "."
    )


_BALANCE_CHANGED_DESCRIPTION: Final = (
    "Every committed change of an item's balances, at least once and in `data.version` order "
    "per key. Key: `{location}/{lic}`. Headers: `event_id`, `event_type`, `version`, "
    "`content-type`. A subscriber that keeps the highest version it has seen needs nothing "
    "else. Produced by the service's transactional outbox relay."
)
_DEAD_LETTER_DESCRIPTION: Final = (
    "Messages that can never be processed, each with its original bytes (base64), key, "
    "headers, source topic/partition/offset, a machine-readable `reason` and a human "
    "`message`. Key: the rejected message's key, unchanged. Headers: `reason`, `event_id` "
    "(when known), `content-type`. Also kept in the database, listable and replayable. "
    "Produced by the service's outbox relay."
)


def _document(broker: KafkaBroker, settings: Settings) -> None:
    """Declare the outbound topics (the relay produces to them) for the AsyncAPI document."""
    broker.publisher(
        settings.topic_balance_changed,
        title=BALANCE_CHANGED_TITLE,
        description=_BALANCE_CHANGED_DESCRIPTION,
        schema=BalanceChanged,
    )
    broker.publisher(
        settings.topic_dead_letter,
        title=DEAD_LETTER_TITLE,
        description=_DEAD_LETTER_DESCRIPTION,
        schema=DeadLetterRecord,
    )


# --- the broker ---------------------------------------------------------------------------------


async def _undecoded(msg: StreamMessage[tuple[ConsumerRecord, ...]]) -> Any:
    """The batch's records as they came: the handler parses the bytes itself.

    FastStream decodes a message even for a handler without a body parameter; its batch
    decoder wraps every record in a message object (a uuid4 each) and JSON-decodes its value,
    about 2 % of the service's CPU at 1k ev/s (measured with py-spy), for nothing.

    ``async`` on purpose: FastStream runs a plain-function decoder in a worker thread
    (``to_async`` -> ``run_in_threadpool``), a thread hand-off and back per batch for a
    function that returns an attribute (py-spy: 4 % of the service's samples in
    ``threading.Condition`` at 1k ev/s).
    """
    return msg.raw_message


def build_broker(
    settings: Settings,
    ingestor: BatchHandler,
    aligner: PartitionAligner | None = None,
    **broker_options: Any,
) -> KafkaBroker:
    """A broker with the inbound subscriber registered (nothing connects until ``start``).

    ``aligner`` paces the subscriber's partitions after each batch (``alignment.py``). The
    broker also documents the outbound topics (see :func:`_document`); it does not produce.
    """
    release_dropped_fetches()  # the aligner pauses partitions: free what aiokafka drops
    # a batch merges the prefetched partitions in timestamp order (time_order.py)
    draw_in_time_order(aligner.window_ms if aligner is not None else 0)
    broker = KafkaBroker(
        settings.kafka_bootstrap_servers,
        security=_security(settings),
        # Half the budget for the in-flight batch: the relay, HTTP and pool need the rest.
        graceful_timeout=settings.shutdown_timeout_s / 2,
        client_id=f"{settings.consumer_group}-consumer",
        **broker_options,
    )

    subscriber = broker.subscriber(
        *settings.inbound_topics,
        group_id=settings.consumer_group,
        batch=True,
        max_records=settings.batch_max_records,
        batch_timeout_ms=settings.batch_timeout_ms,
        fetch_max_wait_ms=settings.fetch_max_wait_ms,
        fetch_min_bytes=settings.fetch_min_bytes,
        max_poll_interval_ms=settings.max_poll_interval_ms,
        ack_policy=AckPolicy.NACK_ON_ERROR,
        auto_offset_reset="earliest",
        decoder=_undecoded,
        title=INBOUND_TITLE,
        description=_inbound_description(settings),
    )

    @subscriber
    async def consume_inbound(msg: KafkaMessage) -> None:
        """Apply a batch of inbound records (purchasing, sales, shipping, jobs, adjustments)."""
        await ingestor.handle(msg.raw_message)
        if aligner is not None:
            aligner.seen(msg.raw_message)
            await aligner.align_quietly()

    if aligner is not None:
        aligner.attach(lambda: subscriber.consumer)
    spec = subscriber.specification  # documentation only, see _ContractPayload
    assert isinstance(spec, KafkaSubscriberSpecification)
    documented = _ContractPayload(spec._outer_config, spec.config, spec.calls)
    cast(Any, subscriber).specification = documented  # same endpoint, a narrower config type
    _document(broker, settings)
    return broker
