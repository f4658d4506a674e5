"""The Docker path of the harness: testcontainers' Kafka and Postgres, where an engine answers.

On machines without a Docker engine (ours and CI) this is skipped with that reason; the
native stack is exercised by every other integration test there.
"""

from __future__ import annotations

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from tests.infra import docker_engine_answers

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not docker_engine_answers(), reason="no Docker engine answers here"),
]


async def test_testcontainers_kafka_and_postgres_round_trip() -> None:
    from testcontainers.kafka import KafkaContainer
    from testcontainers.postgres import PostgresContainer

    with (
        KafkaContainer().with_kraft() as kafka,
        PostgresContainer("postgres:15-alpine", driver=None) as pg,
    ):
        bootstrap = kafka.get_bootstrap_server()
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
        await producer.start()
        try:
            await producer.send_and_wait("tc-smoke", b"hello", key=b"k")
        finally:
            await producer.stop()
        consumer = AIOKafkaConsumer(
            "tc-smoke", bootstrap_servers=bootstrap, auto_offset_reset="earliest"
        )
        await consumer.start()
        try:
            msg = await consumer.getone()
        finally:
            await consumer.stop()
        assert msg.value == b"hello"

        conn = await asyncpg.connect(pg.get_connection_url())
        try:
            assert await conn.fetchval("SELECT 41 + 1") == 42
        finally:
            await conn.close()
