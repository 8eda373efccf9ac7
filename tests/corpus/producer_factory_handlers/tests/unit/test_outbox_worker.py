"""The relay process wiring."""

import asyncio

import pytest

from app.core.config import AppSettings
from app.kafka import outbox_worker
from app.kafka.producer import EventProducer
from tests.conftest import FakeKafkaProducer


async def test_relay_stops_producer(
    fake_producer_factory: type[FakeKafkaProducer],
) -> None:
    stop = asyncio.Event()
    stop.set()
    producer = EventProducer("k", factory=fake_producer_factory)
    await outbox_worker.relay(AppSettings(_env_file=None), stop, producer)
    assert fake_producer_factory.instances[0].running is False


def test_main_runs_relay(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[EventProducer] = []

    async def fake_relay(
        cfg: AppSettings, stop: asyncio.Event, producer: EventProducer
    ) -> None:
        seen.append(producer)

    monkeypatch.setattr(outbox_worker, "relay", fake_relay)
    outbox_worker.main()
    assert isinstance(seen[0], EventProducer)
