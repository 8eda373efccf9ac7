"""The relay process wiring, with a fake publisher."""

import asyncio
from typing import Any

import pytest

from app.core.config import Settings
from app.kafka import relay as relay_module


class FakePublisher:
    def __init__(self) -> None:
        self.calls: list[str] = []

    async def start(self) -> None:
        self.calls.append("start")

    async def stop(self) -> None:
        self.calls.append("stop")

    async def publish(self, topic: str, key: str, payload: dict[str, Any]) -> None:
        self.calls.append(topic)


async def test_serve_relay_stops_publisher(monkeypatch: pytest.MonkeyPatch) -> None:
    publisher = FakePublisher()
    monkeypatch.setattr(relay_module, "build_producer", lambda _: None)
    monkeypatch.setattr(relay_module, "KafkaPublisher", lambda _: publisher)
    stop = asyncio.Event()
    stop.set()
    await relay_module.serve_relay(Settings(_env_file=None), stop)
    assert publisher.calls == ["start", "stop"]


def test_main_runs_relay(monkeypatch: pytest.MonkeyPatch) -> None:
    served: list[Settings] = []

    async def fake_serve(settings: Settings, stop: asyncio.Event) -> None:
        served.append(settings)

    monkeypatch.setattr(relay_module, "serve_relay", fake_serve)
    relay_module.main()
    assert len(served) == 1
