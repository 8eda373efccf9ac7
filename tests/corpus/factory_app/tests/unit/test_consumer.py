"""The payments consumer with fake Kafka clients."""

import asyncio
import json
import uuid
from dataclasses import dataclass
from typing import Any, cast

import pytest
from aiokafka import TopicPartition  # type: ignore[import-untyped]

from app.core.config import Settings
from app.exceptions import InvoiceNotFoundError
from app.kafka import consumer as consumer_module
from app.kafka.consumer import PaymentConsumer, build_consumer, install_signal_handlers
from app.schemas.events import PaymentReceivedEvent

PARTITION = TopicPartition("payments.v1", 0)


@dataclass
class Record:
    value: bytes
    offset: int = 7


class FakeConsumer:
    """Serves one batch, then signals the test to stop."""

    def __init__(self, records: list[Record], stop: asyncio.Event) -> None:
        self.batches = [{PARTITION: records}]
        self.stop_event = stop
        self.calls: list[str] = []

    async def start(self) -> None:
        self.calls.append("start")

    async def stop(self) -> None:
        self.calls.append("stop")

    async def getmany(self, **_: Any) -> dict[TopicPartition, list[Record]]:
        if self.batches:
            return self.batches.pop()
        self.stop_event.set()
        return {}

    async def commit(self) -> None:
        self.calls.append("commit")

    def assignment(self) -> set[TopicPartition]:
        return {PARTITION, TopicPartition("payments.v1", 1)}

    def highwater(self, partition: TopicPartition) -> int | None:
        return 10 if partition.partition == 0 else None

    async def position(self, partition: TopicPartition) -> int:
        return 8


class FakeSettlement:
    def __init__(self, error: Exception | None = None) -> None:
        self.applied: list[PaymentReceivedEvent] = []
        self.error = error

    async def apply(self, event: PaymentReceivedEvent) -> bool:
        if self.error:
            raise self.error
        self.applied.append(event)
        return True


class FakePublisher:
    def __init__(self) -> None:
        self.published: list[tuple[str, str, dict[str, Any]]] = []

    async def start(self) -> None:
        self.published.append(("start", "", {}))

    async def stop(self) -> None:
        self.published.append(("stop", "", {}))

    async def publish(self, topic: str, key: str, payload: dict[str, Any]) -> None:
        self.published.append((topic, key, payload))


def _payment() -> bytes:
    event = {
        "event_id": str(uuid.uuid4()),
        "event_type": "payment.received",
        "invoice_id": str(uuid.uuid4()),
        "amount_cents": 100,
    }
    return json.dumps(event).encode()


def _consumer(
    records: list[Record], settlement: FakeSettlement
) -> tuple[PaymentConsumer, FakeConsumer, FakePublisher, asyncio.Event]:
    stop = asyncio.Event()
    fake = FakeConsumer(records, stop)
    dlq = FakePublisher()
    consumer = PaymentConsumer(fake, cast(Any, settlement), cast(Any, dlq), "dlq.v1")
    return consumer, fake, dlq, stop


async def test_run_applies_commits_and_stops() -> None:
    settlement = FakeSettlement()
    consumer, fake, dlq, stop = _consumer([Record(_payment())], settlement)
    await consumer.run(stop)
    assert len(settlement.applied) == 1
    assert fake.calls == ["start", "commit", "stop"]
    assert dlq.published == []


async def test_invalid_message_goes_to_dlq() -> None:
    consumer, _, dlq, stop = _consumer([Record(b"{not json")], FakeSettlement())
    await consumer.run(stop)
    assert dlq.published[0][0] == "dlq.v1"
    assert dlq.published[0][2]["offset"] == 7


async def test_domain_error_goes_to_dlq() -> None:
    settlement = FakeSettlement(InvoiceNotFoundError("missing"))
    consumer, _, dlq, stop = _consumer([Record(_payment())], settlement)
    await consumer.run(stop)
    assert dlq.published[0][2]["error"] == "missing"


async def test_signal_handlers_set_stop() -> None:
    stop = asyncio.Event()
    install_signal_handlers(stop)
    loop = asyncio.get_running_loop()
    for signum in (2, 15):
        assert loop.remove_signal_handler(signum)


async def test_build_consumer_commits_manually() -> None:
    consumer = build_consumer(Settings(_env_file=None))
    assert consumer._enable_auto_commit is False


async def test_serve_wires_and_releases(monkeypatch: pytest.MonkeyPatch) -> None:
    stop = asyncio.Event()
    fake = FakeConsumer([], stop)
    dlq = FakePublisher()
    monkeypatch.setattr(consumer_module, "build_consumer", lambda _: fake)
    monkeypatch.setattr(consumer_module, "build_producer", lambda _: None)
    monkeypatch.setattr(consumer_module, "KafkaPublisher", lambda _: dlq)
    await consumer_module.serve(Settings(_env_file=None), stop)
    assert fake.calls == ["start", "commit", "stop"]
    assert [p[0] for p in dlq.published] == ["start", "stop"]


def test_main_runs_serve(monkeypatch: pytest.MonkeyPatch) -> None:
    served: list[Settings] = []

    async def fake_serve(settings: Settings, stop: asyncio.Event) -> None:
        served.append(settings)

    monkeypatch.setattr(consumer_module, "serve", fake_serve)
    consumer_module.main()
    assert len(served) == 1
