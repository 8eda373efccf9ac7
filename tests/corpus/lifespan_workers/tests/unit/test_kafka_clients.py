"""Producer sink, consumer loop and the background workers with fake clients."""

import asyncio
import json
from typing import Any, cast

import pytest

from app.core.config import Settings
from app.kafka import producer as producer_module
from app.kafka.consumer import OrderConsumer, make_consumer
from app.kafka.producer import KafkaSink, make_producer
from app.kafka.workers import BackgroundWorkers, KafkaClients
from tests.fakes import FakeConsumer, FakeProducer, Message

SETTINGS = Settings(_env_file=None, worker_restart_seconds=0.01, relay_poll_seconds=0.01)


async def test_sink_reports_success_and_failure() -> None:
    ok, broken = FakeProducer(), FakeProducer(fail_sends=True)
    assert await KafkaSink(cast(Any, ok)).publish("inventory.v1", "k", {"a": 1})
    assert ok.sent == [("inventory.v1", b'{"a": 1}', b"k")]
    assert not await KafkaSink(cast(Any, broken)).publish("inventory.v1", "k", {})


def test_make_producer_options(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(producer_module, "AIOKafkaProducer", lambda **kw: kw)
    options = cast(dict[str, Any], make_producer(SETTINGS))
    assert options["acks"] == "all"
    assert options["retry_backoff_ms"] == 300


async def test_real_clients_stop_without_start() -> None:
    producer, consumer = make_producer(SETTINGS), make_consumer(SETTINGS)
    assert consumer._enable_auto_commit is False
    await consumer.stop()
    await producer.stop()


def _consumer(fake: FakeConsumer, sink: FakeProducer) -> OrderConsumer:
    sessions = cast(Any, None)
    return OrderConsumer(cast(Any, fake), sessions, KafkaSink(cast(Any, sink)), SETTINGS)


async def test_invalid_message_is_dead_lettered_and_committed() -> None:
    fake, dlq = FakeConsumer(queue=[Message(b"not-json", 4)]), FakeProducer()
    task = asyncio.create_task(_consumer(fake, dlq).poll_forever())
    await asyncio.sleep(0.05)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert dlq.sent[0][0] == "orders.v1.dead-letter"
    assert json.loads(dlq.sent[0][1])["offset"] == 4
    assert fake.events == ["commit"]


async def test_lag_skips_unknown_highwater() -> None:
    fake = FakeConsumer(highwater_value=None)
    await _consumer(fake, FakeProducer()).record_lag()
    assert fake.events == []


async def test_workers_retry_start_and_stop_clients() -> None:
    producer, consumer = FakeProducer(failing_starts=2), FakeConsumer()
    clients = KafkaClients(lambda _: cast(Any, producer), lambda _: cast(Any, consumer))
    workers = BackgroundWorkers(SETTINGS, cast(Any, None), clients)
    workers.start()
    await asyncio.sleep(0.1)
    await workers.shutdown()
    assert producer.events == ["start", "stop"]
    assert consumer.events == ["start", "stop"]
    assert all(task.done() for task in workers.tasks)
