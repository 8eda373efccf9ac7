"""The Kafka publisher, with a fake client."""

import json
from typing import Any

import pytest
from aiokafka.errors import KafkaTimeoutError  # type: ignore[import-untyped]

from app.core.config import Settings
from app.exceptions import PublishError
from app.kafka import producer as producer_module
from app.kafka.producer import KafkaPublisher, build_producer


class FakeProducer:
    """Records sends; fails when told to."""

    def __init__(self, fail: bool = False) -> None:
        self.sent: list[tuple[str, bytes, bytes]] = []
        self.fail = fail
        self.started = False
        self.stopped = False

    async def start(self) -> None:
        self.started = True

    async def stop(self) -> None:
        self.stopped = True

    async def send_and_wait(self, topic: str, value: bytes, key: bytes) -> Any:
        if self.fail:
            raise KafkaTimeoutError()
        self.sent.append((topic, value, key))


async def test_publish_sends_json() -> None:
    fake = FakeProducer()
    publisher = KafkaPublisher(fake)
    await publisher.start()
    await publisher.publish("invoices.v1", "k1", {"a": 1})
    await publisher.stop()
    assert fake.started and fake.stopped
    assert fake.sent == [("invoices.v1", json.dumps({"a": 1}).encode(), b"k1")]


async def test_publish_failure_raises_publish_error() -> None:
    publisher = KafkaPublisher(FakeProducer(fail=True))
    with pytest.raises(PublishError):
        await publisher.publish("invoices.v1", "k1", {})


def test_build_producer_waits_for_all_replicas(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    captured: dict[str, Any] = {}
    monkeypatch.setattr(producer_module, "AIOKafkaProducer", lambda **kw: kw)
    settings = Settings(_env_file=None, kafka_bootstrap_servers="broker:9092")
    captured.update(build_producer(settings))
    assert captured["acks"] == "all"
    assert captured["retry_backoff_ms"] == 250
    assert captured["bootstrap_servers"] == "broker:9092"
