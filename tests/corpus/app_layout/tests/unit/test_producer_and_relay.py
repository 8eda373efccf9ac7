"""Publisher retries and the relay loop."""

import asyncio
from unittest.mock import AsyncMock

import pytest
from pydantic import SecretStr

from app.core.config import Settings
from app.kafka.producer import EventPublisher, PublishError, build_producer
from app.kafka.relay import OutboxRelay
from tests.fakes import FakeSender


async def test_publisher_retries_transient_errors() -> None:
    sender = FakeSender(failures=2)
    await EventPublisher(sender, attempts=3, backoff_s=0).publish("t.v1", "k", b"v")
    assert sender.sent == [("t.v1", b"v", b"k")]


async def test_publisher_gives_up_after_the_last_attempt() -> None:
    sender = FakeSender(failures=5)
    with pytest.raises(PublishError, match=r"t\.v1"):
        await EventPublisher(sender, attempts=2, backoff_s=0).publish("t.v1", "k", b"v")
    assert sender.sent == []


async def test_build_producer_waits_for_all_replicas() -> None:
    settings = Settings(
        database_url=SecretStr("x"), kafka_bootstrap_servers="localhost:9"
    )
    producer = build_producer(settings)
    assert type(producer).__name__ == "AIOKafkaProducer"


async def test_relay_survives_a_failing_iteration(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    relay = OutboxRelay(AsyncMock(), EventPublisher(FakeSender(), 1, 0), 10)
    stop = asyncio.Event()
    calls: list[int] = []

    async def failing_batch() -> int:
        calls.append(1)
        if len(calls) > 1:
            stop.set()
        raise RuntimeError("database down")

    monkeypatch.setattr(relay, "relay_batch", failing_batch)
    await relay.run(stop, interval_s=0.01)
    assert len(calls) == 2
