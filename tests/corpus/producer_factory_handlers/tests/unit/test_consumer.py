"""The consumer loop with a fake aiokafka client."""

import asyncio
from dataclasses import dataclass
from typing import Any

import pytest

from app.core.config import AppSettings
from app.exceptions import BookingNotFoundError
from app.kafka import consumer as consumer_module
from app.kafka.consumer import PaymentEventsConsumer, kafka_consumer
from app.kafka.producer import EventProducer
from tests.conftest import FakeKafkaProducer


@dataclass(frozen=True)
class Partition:
    topic: str
    partition: int


@dataclass
class Record:
    value: bytes
    offset: int


class FakeClient:
    def __init__(self, stop: asyncio.Event, records: list[Record]) -> None:
        self.stop_event = stop
        self.polls = [{Partition("p.v1", 0): records}]
        self.log: list[str] = []
        self.assigned: set[Partition] = {Partition("p.v1", 0)}

    async def start(self) -> None:
        self.log.append("start")

    async def stop(self) -> None:
        self.log.append("stop")

    async def getmany(self, timeout_ms: int) -> dict[Partition, list[Record]]:
        if not self.polls:
            self.stop_event.set()
            return {}
        return self.polls.pop()

    async def commit(self) -> None:
        self.log.append("commit")

    def assignment(self) -> set[Partition]:
        return self.assigned

    async def end_offsets(self, partitions: list[Partition]) -> dict[Partition, int]:
        return dict.fromkeys(partitions, 12)

    async def committed(self, tp: Partition) -> int | None:
        return 10


async def _dead_letters() -> tuple[EventProducer, FakeKafkaProducer]:
    fakes: list[FakeKafkaProducer] = []

    def factory(**options: Any) -> FakeKafkaProducer:
        fakes.append(FakeKafkaProducer(**options))
        return fakes[-1]

    producer = EventProducer("k", factory=factory)
    await producer.start()
    return producer, fakes[0]


async def test_consume_dispatches_commits_and_stops() -> None:
    handled: list[bytes] = []

    async def handle(raw: bytes) -> None:
        handled.append(raw)

    stop = asyncio.Event()
    client = FakeClient(stop, [Record(b"a", 0), Record(b"b", 1)])
    dlq, _ = await _dead_letters()
    await PaymentEventsConsumer(client, handle, dlq, "x.dlq").consume(stop)
    assert handled == [b"a", b"b"]
    assert client.log == ["start", "commit", "stop"]


async def test_failed_message_is_dead_lettered() -> None:
    async def handle(raw: bytes) -> None:
        raise BookingNotFoundError("gone")

    stop = asyncio.Event()
    dlq, fake = await _dead_letters()
    consumer = PaymentEventsConsumer(FakeClient(stop, []), handle, dlq, "x.dlq")
    await consumer.dispatch(Record(b"boom", 4))
    assert fake.sent[0][0] == "x.dlq"
    assert b"booking_not_found" in fake.sent[0][1]


async def test_log_lag_without_assignment() -> None:
    stop = asyncio.Event()
    client = FakeClient(stop, [])
    client.assigned = set()
    dlq, _ = await _dead_letters()
    await PaymentEventsConsumer(client, dlq.send, dlq, "d").log_lag()  # type: ignore[arg-type]
    assert client.log == []


async def test_kafka_consumer_disables_auto_commit() -> None:
    client = kafka_consumer(AppSettings(_env_file=None))
    assert client._enable_auto_commit is False


async def test_run_closes_everything(monkeypatch: pytest.MonkeyPatch) -> None:
    stop = asyncio.Event()
    client = FakeClient(stop, [])
    monkeypatch.setattr(consumer_module, "kafka_consumer", lambda _: client)
    monkeypatch.setattr(
        EventProducer, "start", lambda self: asyncio.sleep(0), raising=True
    )
    await consumer_module.run(AppSettings(_env_file=None), stop)
    assert client.log[-1] == "stop"


def test_main_wires_signals(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[AppSettings] = []

    async def fake_run(cfg: AppSettings, stop: asyncio.Event) -> None:
        calls.append(cfg)

    monkeypatch.setattr(consumer_module, "run", fake_run)
    consumer_module.main()
    assert len(calls) == 1
