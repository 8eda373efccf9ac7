"""EventPublisher with a fake producer."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any
from unittest.mock import MagicMock

import pytest

from app.core.config import Settings
from app.kafka.clients import KafkaConnectionError, KafkaError
from app.kafka.producer import EventPublisher, PublishError, build_producer
from app.services.ports import OutgoingMessage


class FakeProducer:
    def __init__(self, *, fail_start: bool = False, fail_send: bool = False) -> None:
        self.fail_start = fail_start
        self.fail_send = fail_send
        self.sent: list[tuple[str, bytes]] = []
        self.stopped = False
        self.client = self

    async def start(self) -> None:
        if self.fail_start:
            raise KafkaConnectionError("down")

    async def stop(self) -> None:
        self.stopped = True

    async def send(self, topic: str, **kwargs: Any) -> asyncio.Future[Any]:
        if self.fail_send:
            raise KafkaError("buffer full")
        self.sent.append((topic, kwargs["value"]))
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        future.set_result(None)
        return future

    async def fetch_all_metadata(self) -> None:
        await asyncio.sleep(0)


def _message() -> OutgoingMessage:
    return OutgoingMessage(message_id=uuid.uuid4(), topic="t", value=b"v", key=b"k")


def test_build_producer_is_durable(monkeypatch: pytest.MonkeyPatch) -> None:
    factory = MagicMock()
    monkeypatch.setattr("app.kafka.producer.AIOKafkaProducer", factory)
    settings = Settings(
        database_url="postgresql+asyncpg://u:p@h/d",
        kafka_bootstrap_servers="h:9092",
        kafka_enable_idempotence=False,
    )
    assert build_producer(settings) is factory.return_value
    kwargs = factory.call_args.kwargs
    assert kwargs["acks"] == "all"
    assert kwargs["enable_idempotence"] is False
    assert kwargs["bootstrap_servers"] == "h:9092"
    assert kwargs["retry_backoff_ms"] == settings.kafka_retry_backoff_ms


async def test_publish_many_reports_each_result() -> None:
    fake = FakeProducer()
    publisher = EventPublisher(lambda: fake)
    messages = [_message(), _message()]
    results = await publisher.publish_many(messages)
    assert [r.error for r in results] == [None, None]
    assert [r.message_id for r in results] == [m.message_id for m in messages]
    assert publisher.connected
    await publisher.stop()
    assert fake.stopped
    assert not publisher.connected


async def test_unreachable_kafka_fails_every_message_without_raising() -> None:
    created: list[FakeProducer] = []

    def factory() -> FakeProducer:
        created.append(FakeProducer(fail_start=True))
        return created[-1]

    publisher = EventPublisher(factory)
    results = await publisher.publish_many([_message()])
    assert results[0].error == "kafka unavailable"
    assert created[0].stopped
    assert await publisher.is_healthy(timeout_s=1) is False


async def test_send_error_becomes_result_and_publish_raises() -> None:
    publisher = EventPublisher(lambda: FakeProducer(fail_send=True))
    results = await publisher.publish_many([_message()])
    assert results[0].error is not None
    assert "buffer full" in results[0].error
    try:
        await publisher.publish(_message())
    except PublishError as exc:
        assert "buffer full" in str(exc)
    else:
        raise AssertionError("expected PublishError")


async def test_publish_and_health_when_connected() -> None:
    fake = FakeProducer()
    publisher = EventPublisher(lambda: fake)
    await publisher.publish(_message())
    assert fake.sent == [("t", b"v")]
    assert await publisher.is_healthy(timeout_s=1) is True
    assert await publisher.start() is True
    await EventPublisher(lambda: fake).stop()
