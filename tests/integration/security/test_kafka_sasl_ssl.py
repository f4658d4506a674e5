"""Kafka over SASL_SSL with SCRAM: the service connects with its INVENTORY_* settings.

One private broker for the module (its own temp folder and free ports, a CA made with keytool,
a SCRAM user written at format time); the default stack's broker is not touched. Every client
is built from ``Settings()`` read from the environment, as the service reads it.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from collections.abc import Callable, Iterator, Sequence
from typing import cast

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError

from inventory_ledger.adapters.http.health import ServiceHealthProbe
from inventory_ledger.adapters.kafka.consumer import Ingestor, build_broker
from inventory_ledger.adapters.kafka.producer import start_idempotent_producer, stop_quietly
from inventory_ledger.adapters.kafka.records import KafkaRecord
from inventory_ledger.adapters.kafka.topics import ensure_topics
from inventory_ledger.application.ingest import RetryPolicy
from inventory_ledger.application.ports import LedgerStore
from inventory_ledger.local_stack.kafka_security import ScramMechanism, SecuredKafka
from inventory_ledger.settings import Settings

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

FAIL_WITHIN_S = 10.0
"""A refused client must give up within this (aiokafka tries each bootstrap server once)."""

MakeSettings = Callable[..., Settings]


@pytest.fixture(scope="module")
def secured() -> Iterator[SecuredKafka]:
    """The private SASL_SSL broker, started once for this module and deleted afterwards."""
    kafka = SecuredKafka.create()
    try:
        kafka.start()
    except BaseException:
        kafka.stop(purge=False)  # keep the logs the error names
        raise
    try:
        yield kafka
    finally:
        kafka.stop(purge=True)


@pytest.fixture
def make_settings(secured: SecuredKafka, monkeypatch: pytest.MonkeyPatch) -> MakeSettings:
    """``Settings()`` from the environment an operator would set for the secured broker."""

    def make(
        mechanism: ScramMechanism = "SCRAM-SHA-512",
        password: str | None = None,
        trust_ca: bool = True,
    ) -> Settings:
        for name, value in secured.service_environment(mechanism, password).items():
            monkeypatch.setenv(name, value)
        if not trust_ca:
            monkeypatch.delenv("INVENTORY_KAFKA_SSL_CAFILE")
        return Settings()

    return make


class RecordingIngestor(Ingestor):
    """The service's ingestor with the database step replaced by a list (Kafka stays real)."""

    def __init__(self) -> None:
        super().__init__(cast(LedgerStore, None), RetryPolicy(), on_commit=lambda **_: None)
        self.records: list[KafkaRecord] = []
        self.arrived = asyncio.Event()

    async def handle(self, records: Sequence[KafkaRecord]) -> None:
        self.records += records
        self.arrived.set()


async def _create_topic(settings: Settings, topic: str) -> None:
    admin = AIOKafkaAdminClient(request_timeout_ms=10_000, **settings.kafka_options())
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, 1, 1)])
    finally:
        await admin.close()


def _refusals(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("aiokafka"))


@pytest.mark.parametrize("mechanism", ["SCRAM-SHA-512", "SCRAM-SHA-256"])
async def test_settings_round_trip_a_message_over_sasl_ssl(
    make_settings: MakeSettings, topic: str, mechanism: ScramMechanism
) -> None:
    settings = make_settings(mechanism)
    options = settings.kafka_options()
    assert options["bootstrap_servers"] == settings.kafka_bootstrap_servers
    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_mechanism"] == mechanism
    context: ssl.SSLContext = options["ssl_context"]
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname

    await _create_topic(settings, topic)
    producer = await start_idempotent_producer(
        settings.kafka_bootstrap_servers, "sasl-ssl-test", settings.producer_options()
    )
    try:
        sent = await producer.send_and_wait(topic, b"over SASL_SSL", key=b"item-1")
    finally:
        await stop_quietly(producer, timeout_s=10)
    assert sent.offset == 0

    consumer = AIOKafkaConsumer(
        topic,
        group_id=f"{topic}-group",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        **options,
    )
    await consumer.start()
    try:
        got = await asyncio.wait_for(consumer.getone(), 20)
    finally:
        await consumer.stop()
    assert (got.key, got.value) == (b"item-1", b"over SASL_SSL")


async def test_service_broker_creates_topics_and_consumes_over_sasl_ssl(
    make_settings: MakeSettings,
) -> None:
    settings = make_settings()
    created = await ensure_topics(settings, partitions=1)
    assert settings.topic_purchasing in created

    ingestor = RecordingIngestor()
    broker = build_broker(settings, ingestor, logger=None)
    await broker.start()
    try:
        producer = await start_idempotent_producer(
            settings.kafka_bootstrap_servers, "sasl-ssl-test", settings.producer_options()
        )
        try:
            await producer.send_and_wait(settings.topic_purchasing, b'{"probe": 1}')
        finally:
            await stop_quietly(producer, timeout_s=10)
        await asyncio.wait_for(ingestor.arrived.wait(), 30)
    finally:
        await broker.stop()
    assert [r.value for r in ingestor.records] == [b'{"probe": 1}']
    assert [r.topic for r in ingestor.records] == [settings.topic_purchasing]

    probe = ServiceHealthProbe(cast(asyncpg.Pool, None), settings.kafka_options(), timeout_s=10)
    assert await probe.broker(), "/readyz must see the broker over SASL_SSL"


async def test_wrong_password_is_refused_quickly_naming_authentication(
    make_settings: MakeSettings, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(password="not-the-password")
    caplog.set_level(logging.ERROR, logger="aiokafka")

    started = time.monotonic()
    with pytest.raises(KafkaConnectionError, match="Unable to bootstrap"):
        await asyncio.wait_for(
            start_idempotent_producer(
                settings.kafka_bootstrap_servers, "sasl-ssl-test", settings.producer_options()
            ),
            FAIL_WITHIN_S,
        )
    with pytest.raises(KafkaConnectionError, match="Unable to bootstrap"):
        await asyncio.wait_for(ensure_topics(settings), FAIL_WITHIN_S)
    broker = build_broker(settings, RecordingIngestor(), logger=None)
    try:
        with pytest.raises(KafkaConnectionError, match="Unable to bootstrap"):
            await asyncio.wait_for(broker.start(), FAIL_WITHIN_S)
    finally:
        await broker.stop()
    elapsed = time.monotonic() - started
    assert elapsed < FAIL_WITHIN_S, f"three refusals took {elapsed:.1f}s"

    # The exception only says "Unable to bootstrap"; the reason is aiokafka's ERROR log line,
    # which the service's logging passes on.
    reasons = _refusals(caplog)
    assert reasons.count("SaslAuthenticationFailed") >= 3, reasons
    assert "invalid credentials with SASL mechanism SCRAM-SHA-512" in reasons

    probe = ServiceHealthProbe(cast(asyncpg.Pool, None), settings.kafka_options(), timeout_s=5)
    assert not await probe.broker(), "/readyz must report the broker as not ready"


async def test_client_that_does_not_trust_the_ca_fails_certificate_verification(
    make_settings: MakeSettings, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(trust_ca=False)  # the system's CAs only
    assert settings.kafka_ssl_cafile is None
    caplog.set_level(logging.ERROR, logger="aiokafka")

    started = time.monotonic()
    with pytest.raises(KafkaConnectionError, match="Unable to bootstrap"):
        await asyncio.wait_for(ensure_topics(settings), FAIL_WITHIN_S)
    assert time.monotonic() - started < FAIL_WITHIN_S

    reasons = _refusals(caplog)
    assert "CERTIFICATE_VERIFY_FAILED" in reasons, reasons
    assert "SaslAuthenticationFailed" not in reasons, "TLS must fail before any password is sent"
