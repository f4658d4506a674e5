"""``stack up|down``: idempotent, clear failures, no process of ours left behind.

Runs a second, private stack on other ports so the shared one the suite uses is untouched.
"""

from __future__ import annotations

import os
import signal
import socket
import time
from collections.abc import Iterator

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from inventory_ledger.local_stack import LocalStack, StackError
from inventory_ledger.local_stack.process import is_alive, port_open
from inventory_ledger.settings import LocalStackSettings

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def private_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    settings = LocalStackSettings(
        home=tmp_path_factory.mktemp("stack"),
        kafka_port=29092,
        kafka_controller_port=29093,
        postgres_port=55439,
        kafka_heap="256m",
        postgres_fsync=False,
        start_timeout_s=60,
    )
    stack = LocalStack.from_settings(settings)
    try:
        yield stack
    finally:
        stack.down(purge=True)


def test_up_is_idempotent_and_down_leaves_nothing(private_stack: LocalStack) -> None:
    first = private_stack.up()
    assert first.all_ready
    second = private_stack.up()
    assert (second.kafka.pid, second.postgres.pid) == (first.kafka.pid, first.postgres.pid)

    private_stack.down()
    assert not is_alive(first.kafka.pid)
    assert not is_alive(first.postgres.pid)
    assert not port_open("127.0.0.1", 29092)
    assert not port_open("127.0.0.1", 55439)


def test_a_taken_port_is_a_clear_error(private_stack: LocalStack) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 29092))
        squatter.listen()
        with pytest.raises(StackError, match=r"port 127\.0\.0\.1:29092 is already taken"):
            private_stack.kafka.start()


async def test_killing_kafka_fails_fast_not_hang(private_stack: LocalStack) -> None:
    private_stack.kafka.start()
    pid = private_stack.kafka.pid()
    assert pid is not None
    producer = AIOKafkaProducer(
        bootstrap_servers=private_stack.kafka_bootstrap, request_timeout_ms=3000
    )
    await producer.start()
    try:
        await producer.send_and_wait("alive", b"before")
        os.killpg(pid, signal.SIGKILL)
        started = time.monotonic()
        with pytest.raises(KafkaError):
            await producer.send_and_wait("alive", b"after")
        assert time.monotonic() - started < 30
    finally:
        await producer.stop()
