"""The Kafka publisher's use of aiokafka, against a recording stand-in for the producer.

Delivery to a real broker is covered by the integration suite; here we check the contract
with aiokafka: idempotent ``acks=all`` producer, keyed records, ``send`` (not
``send_and_wait``) per record, one ``flush`` at the end, and the producer always stopped.
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest

from inventory_ledger.simulation import SimulationConfig, generate
from inventory_ledger.simulation import kafka as kafka_module

pytestmark = pytest.mark.unit


class _RecordingProducer:
    instances: list[_RecordingProducer] = []  # noqa: RUF012 - test registry

    def __init__(self, **options: Any) -> None:
        self.options = options
        self.sent: list[tuple[str, bytes, bytes]] = []
        self.calls: list[str] = []
        _RecordingProducer.instances.append(self)

    async def start(self) -> None:
        self.calls.append("start")

    async def send(self, topic: str, value: bytes, key: bytes) -> asyncio.Future[None]:
        self.sent.append((topic, key, value))
        delivered: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        delivered.set_result(None)
        return delivered

    async def send_and_wait(self, *args: object, **kwargs: object) -> None:
        raise AssertionError("send_and_wait per record defeats batching")

    async def flush(self) -> None:
        self.calls.append("flush")

    async def stop(self) -> None:
        self.calls.append("stop")


@pytest.fixture
def producer(monkeypatch: pytest.MonkeyPatch) -> type[_RecordingProducer]:
    _RecordingProducer.instances.clear()
    monkeypatch.setattr(kafka_module, "AIOKafkaProducer", _RecordingProducer)
    return _RecordingProducer


async def test_publishes_every_record_keyed_and_batched(
    producer: type[_RecordingProducer],
) -> None:
    messages = list(generate(SimulationConfig(events=5_000, seed=2, malformed=0.01)))
    acked: list[int] = []
    sent = await kafka_module.publish(messages, "broker:9092", progress=acked.append)
    assert sent == 5_000
    assert sum(acked) == 5_000
    (instance,) = producer.instances
    assert instance.options["acks"] == "all"
    assert instance.options["enable_idempotence"] is True
    assert instance.options["bootstrap_servers"] == "broker:9092"
    assert instance.calls == ["start", "flush", "stop"]
    for message, (topic, key, value) in zip(messages, instance.sent, strict=True):
        assert topic == message.topic
        assert key == message.key.encode()
        if isinstance(message.value, bytes):
            assert value == message.value
        else:
            assert orjson.loads(value) == message.value


async def test_stops_the_producer_when_a_delivery_fails(
    producer: type[_RecordingProducer], monkeypatch: pytest.MonkeyPatch
) -> None:
    async def failing_send(self: _RecordingProducer, *args: object, **kwargs: object) -> Any:
        failed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        failed.set_exception(RuntimeError("broker said no"))
        return failed

    monkeypatch.setattr(_RecordingProducer, "send", failing_send)
    with pytest.raises(RuntimeError, match="broker said no"):
        await kafka_module.publish(generate(SimulationConfig(events=10)), "broker:9092")
    assert producer.instances[0].calls[-1] == "stop"
