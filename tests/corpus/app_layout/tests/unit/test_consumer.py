"""The reply consumer loop with in-memory Kafka doubles."""

import asyncio
import os
import signal
from unittest.mock import AsyncMock

import pytest
from pydantic import SecretStr

from app.core.config import Settings
from app.kafka import consumer as consumer_module
from app.kafka.consumer import ReplyConsumer, build_consumer, install_signal_handlers
from app.kafka.producer import EventPublisher
from tests.fakes import FakeRecord, FakeSender, FakeSource


def _consumer(source: FakeSource, sender: FakeSender) -> ReplyConsumer:
    publisher = EventPublisher(sender, attempts=1, backoff_s=0)
    return ReplyConsumer(source, AsyncMock(), publisher, "replies.v1.dlq")


async def test_invalid_messages_go_to_the_dead_letter_topic() -> None:
    sender = FakeSender()
    source = FakeSource(batch=[FakeRecord(b"not json"), FakeRecord(b"{}", key=None)])
    handled = await _consumer(source, sender).poll_once()
    assert handled == 2
    assert [topic for topic, _, _ in sender.sent] == ["replies.v1.dlq"] * 2
    assert sender.sent[1][2] == b""
    assert source.commits == 1


async def test_an_empty_poll_commits_nothing() -> None:
    source = FakeSource(partitions={"p0": None})
    assert await _consumer(source, FakeSender()).poll_once() == 0
    assert source.commits == 0


async def test_run_stops_the_consumer_when_asked() -> None:
    stop = asyncio.Event()
    source = FakeSource(batch=[FakeRecord(b"[]")], stop_after_batch=stop)
    await _consumer(source, FakeSender()).run(stop)
    assert source.started
    assert source.stopped


async def test_signals_set_the_stop_event() -> None:
    stop = asyncio.Event()
    install_signal_handlers(stop)
    os.kill(os.getpid(), signal.SIGTERM)
    await asyncio.wait_for(stop.wait(), 2)
    assert stop.is_set()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.remove_signal_handler(signum)


async def test_consume_wires_and_closes_everything(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sender, source = FakeSender(), FakeSource()
    monkeypatch.setattr(consumer_module, "build_producer", lambda _: sender)
    monkeypatch.setattr(consumer_module, "build_consumer", lambda _: source)
    settings = Settings(
        database_url=SecretStr("postgresql+asyncpg://u@h/db"),
        kafka_bootstrap_servers="k",
    )
    stop = asyncio.Event()
    stop.set()
    await consumer_module.consume(settings, stop)
    assert sender.started and sender.stopped
    assert source.stopped


async def test_main_reads_settings_and_consumes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    consume = AsyncMock()
    settings = Settings(database_url=SecretStr("x"), kafka_bootstrap_servers="k")
    monkeypatch.setattr(consumer_module, "consume", consume)
    monkeypatch.setattr(consumer_module, "get_settings", lambda: settings)
    await consumer_module.main()
    consume.assert_awaited_once()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.remove_signal_handler(signum)


async def test_build_consumer_disables_auto_commit() -> None:
    settings = Settings(
        database_url=SecretStr("x"), kafka_bootstrap_servers="localhost:9"
    )
    built = build_consumer(settings)
    assert type(built).__name__ == "AIOKafkaConsumer"
