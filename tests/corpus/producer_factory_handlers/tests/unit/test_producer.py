"""EventProducer: factory injection, acks, retries."""

import json

import pytest

from app.core.config import AppSettings
from app.exceptions import DeliveryError
from app.kafka.producer import EventProducer
from tests.conftest import FakeKafkaProducer


async def test_factory_receives_acks_all_and_backoff(
    fake_producer_factory: type[FakeKafkaProducer],
) -> None:
    producer = EventProducer(
        "k:9092", retry_backoff_ms=5, factory=fake_producer_factory
    )
    await producer.start()
    options = fake_producer_factory.instances[0].options
    assert options["acks"] == "all"
    assert options["retry_backoff_ms"] == 5
    await producer.send("bookings.v1", "key-1", {"n": 1})
    assert fake_producer_factory.instances[0].sent == [
        ("bookings.v1", json.dumps({"n": 1}).encode(), b"key-1")
    ]
    await producer.stop()
    await producer.stop()
    assert not fake_producer_factory.instances[0].running


async def test_send_retries_then_succeeds() -> None:
    def factory(**options: object) -> FakeKafkaProducer:
        return FakeKafkaProducer(failures=2, **options)

    producer = EventProducer("k", retries=2, retry_backoff_ms=1, factory=factory)
    await producer.start()
    await producer.send("t.v1", "k", {})
    assert len(FakeKafkaProducer.instances[-1].sent) == 1


async def test_send_gives_up_after_retries() -> None:
    def factory(**options: object) -> FakeKafkaProducer:
        return FakeKafkaProducer(failures=5, **options)

    producer = EventProducer("k", retries=1, retry_backoff_ms=1, factory=factory)
    await producer.start()
    with pytest.raises(DeliveryError):
        await producer.send("t.v1", "k", {})


def test_from_settings_reads_retry_configuration() -> None:
    cfg = AppSettings(_env_file=None, kafka_retries=9, kafka_enable_idempotence=True)
    producer = EventProducer.from_settings(cfg)
    assert producer._retries == 9
    assert producer._options["enable_idempotence"] is True
