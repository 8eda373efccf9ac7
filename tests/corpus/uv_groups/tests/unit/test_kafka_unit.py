"""Producer, relay loop, consumer loop and worker, with fake clients."""

import asyncio
import signal
from unittest.mock import AsyncMock, MagicMock

import pytest
from aiokafka.errors import RequestTimedOutError  # type: ignore[import-untyped]

from app import worker
from app.core.config import settings
from app.kafka import consumer, relay
from app.kafka.producer import PublishFailed, make_producer, publish
from tests.conftest import Record, RecordingProducer, ScriptedConsumer


async def test_publish_wraps_broker_errors() -> None:
    producer = RecordingProducer(error=RequestTimedOutError())
    with pytest.raises(PublishFailed):
        await publish(producer, "t", "k", "v")


async def test_publish_sends_bytes() -> None:
    producer = RecordingProducer()
    await publish(producer, "t", "k", "v")
    assert producer.sent == [("t", b"v", b"k")]


@pytest.mark.usefixtures("env")
async def test_clients_are_built_from_settings() -> None:
    assert type(make_producer(settings())).__name__ == "AIOKafkaProducer"
    assert type(consumer.make_consumer(settings())).__name__ == "AIOKafkaConsumer"


async def test_relay_loop_sleeps_when_idle(monkeypatch: pytest.MonkeyPatch) -> None:
    rounds = AsyncMock(side_effect=[2, 0, asyncio.CancelledError()])
    monkeypatch.setattr(relay, "relay_once", rounds)
    with pytest.raises(asyncio.CancelledError):
        await relay.relay_loop(MagicMock(), RecordingProducer(), 0)
    assert rounds.await_count == 3


async def test_poison_batches_are_dead_lettered_then_committed() -> None:
    source = ScriptedConsumer(batches=[[Record(b"garbage", 3)], [Record(b"{}", 4)]])
    producer = RecordingProducer()
    task = asyncio.create_task(consumer.consume(source, MagicMock(), producer, "dlq.v1"))
    await asyncio.wait_for(source.drained.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert [(topic, key) for topic, _, key in producer.sent] == [
        ("dlq.v1", b"3"),
        ("dlq.v1", b"4"),
    ]


@pytest.mark.usefixtures("env")
async def test_worker_shuts_down_on_sigterm(monkeypatch: pytest.MonkeyPatch) -> None:
    producer, source = RecordingProducer(), ScriptedConsumer()
    monkeypatch.setattr(worker, "make_producer", lambda _: producer)
    monkeypatch.setattr(worker, "make_consumer", lambda _: source)
    monkeypatch.setattr(worker, "relay_loop", AsyncMock())
    task = asyncio.create_task(worker.main())
    await asyncio.sleep(0.05)
    signal.raise_signal(signal.SIGTERM)
    await asyncio.wait_for(task, 5)
    assert not producer.running
    assert not source.running
    for signum in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().remove_signal_handler(signum)
