"""Event bus retries, the relay loop and the verdict consumer with fakes."""

import asyncio
import json
import signal
from typing import Any
from unittest.mock import AsyncMock, MagicMock

import pytest

from app.core.config import load_settings
from app.kafka import consumer as consumer_module
from app.kafka import relay as relay_module
from app.kafka.consumer import VerdictConsumer
from app.kafka.producer import DeliveryFailed, KafkaEventBus
from tests.fakes import FakeConsumer, FakeProducer, Record


async def test_bus_retries_then_delivers() -> None:
    producer = FakeProducer(fail_first=2)
    bus = KafkaEventBus(producer, max_attempts=3, backoff_ms=1)
    await bus.publish("t.v1", "k", {"a": 1}, {"h": "v"})
    [(topic, value, key, headers)] = producer.sent
    assert (topic, json.loads(value), key, headers) == ("t.v1", {"a": 1}, b"k", [("h", b"v")])


async def test_bus_gives_up() -> None:
    bus = KafkaEventBus(FakeProducer(fail_first=9), max_attempts=2, backoff_ms=1)
    with pytest.raises(DeliveryFailed):
        await bus.publish("t.v1", "k", {})


@pytest.mark.usefixtures("env")
async def test_bus_from_settings_uses_a_real_producer() -> None:
    bus = KafkaEventBus.from_settings(load_settings())
    assert type(bus.producer).__name__ == "AIOKafkaProducer"
    assert bus.max_attempts == 5


async def test_relay_forever_survives_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = AsyncMock(side_effect=[RuntimeError("db down"), 3, asyncio.CancelledError()])
    monkeypatch.setattr(relay_module, "relay_pending", calls)
    with pytest.raises(asyncio.CancelledError):
        await relay_module.relay_forever(MagicMock(), MagicMock(), 0)
    assert calls.await_count == 3


def _worker(records: list[Record]) -> tuple[VerdictConsumer, FakeConsumer, FakeProducer]:
    source, producer = FakeConsumer(records=records), FakeProducer()
    bus = KafkaEventBus(producer, 1, 1)
    return VerdictConsumer(source, MagicMock(), bus, "verdicts.deadletter"), source, producer


async def test_poison_records_are_dead_lettered_and_committed() -> None:
    worker, source, producer = _worker([Record(b"{oops"), Record(b'{"message_id": ""}')])
    await worker.run()
    assert source.started and source.stopped
    assert source.commits == 2
    assert [sent[0] for sent in producer.sent] == ["verdicts.deadletter"] * 2
    assert dict(producer.sent[0][3])["error-type"] == b"ValidationError"


async def test_lag_is_logged_every_hundred_records(caplog: pytest.LogCaptureFixture) -> None:
    worker, _, _ = _worker([Record(b"x")])
    worker.handled = consumer_module.LAG_EVERY - 1
    with caplog.at_level("INFO"):
        await worker.run()
    assert any(getattr(r, "lag", None) == 12 for r in caplog.records)


class BlockingConsumer(FakeConsumer):
    async def __anext__(self) -> Record:
        await asyncio.sleep(3600)
        raise StopAsyncIteration


async def _stop_with_sigterm(task: "asyncio.Task[None]") -> None:
    await asyncio.sleep(0.05)
    signal.raise_signal(signal.SIGTERM)
    await task
    for signum in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().remove_signal_handler(signum)


@pytest.mark.usefixtures("env")
async def test_consumer_main_runs_until_sigterm(monkeypatch: pytest.MonkeyPatch) -> None:
    producer = FakeProducer()
    worker = VerdictConsumer(BlockingConsumer(), MagicMock(), KafkaEventBus(producer, 1, 1), "dlq")
    engine = AsyncMock()
    monkeypatch.setattr(consumer_module, "build", lambda _: (worker, engine))
    await _stop_with_sigterm(asyncio.create_task(consumer_module.main()))
    engine.dispose.assert_awaited_once()
    assert not producer.running


@pytest.mark.usefixtures("env")
async def test_relay_main_runs_until_sigterm(monkeypatch: pytest.MonkeyPatch) -> None:
    producer = FakeProducer()
    bus = KafkaEventBus(producer, 1, 1)
    monkeypatch.setattr(KafkaEventBus, "from_settings", classmethod(lambda cls, s: bus))
    monkeypatch.setattr(relay_module, "relay_forever", AsyncMock(side_effect=_forever))
    await _stop_with_sigterm(asyncio.create_task(relay_module.main()))
    assert not producer.running


async def _forever(*_: Any) -> None:
    await asyncio.sleep(3600)


@pytest.mark.usefixtures("env")
async def test_build_wires_a_manual_commit_consumer() -> None:
    worker, engine = consumer_module.build(load_settings())
    assert type(worker.consumer).__name__ == "AIOKafkaConsumer"
    assert worker.dead_letter_topic.endswith("deadletter")
    assert engine is not None
