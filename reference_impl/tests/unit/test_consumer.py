"""Consumer logic with a fake message source, service and DLQ publisher."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from dataclasses import dataclass, field
from typing import Any
from unittest.mock import AsyncMock, MagicMock

import pytest

from app.core.config import Settings
from app.exceptions import OrderNotFoundError
from app.kafka.clients import TopicPartition
from app.kafka.consumer import (
    PaymentsConsumer,
    PoisonMessageError,
    build_consumer,
    decode_event,
    header_value,
)
from app.schemas.events import PaymentFailedPayload, PaymentSucceededPayload
from app.services.payment_events import ProcessingOutcome
from app.services.ports import OutgoingMessage
from tests.support.kafka import payment_event, succeeded

TP = TopicPartition("payments.v1", 0)


@dataclass
class FakeRecord:
    value: bytes | None
    offset: int = 0
    topic: str = "payments.v1"
    partition: int = 0
    key: bytes | None = b"k"
    headers: list[tuple[str, bytes | None]] = field(
        default_factory=lambda: [("correlation_id", b"corr-7")]
    )


class FakeSource:
    """Stands in for AIOKafkaConsumer: serves batches, records commits."""

    def __init__(
        self, batches: list[dict[Any, list[FakeRecord]]], stop: asyncio.Event
    ) -> None:
        self.batches = batches
        self.stop_event = stop
        self.commits: list[dict[Any, int]] = []
        self.started = False
        self.stopped = False

    async def start(self) -> None:
        self.started = True

    async def stop(self) -> None:
        self.stopped = True

    async def getmany(
        self, timeout_ms: int, max_records: int
    ) -> dict[Any, list[FakeRecord]]:
        if not self.batches:
            self.stop_event.set()
            return {}
        return self.batches.pop(0)

    async def commit(self, offsets: dict[Any, int]) -> None:
        self.commits.append(offsets)

    def assignment(self) -> set[Any]:
        return {TP}

    def highwater(self, tp: Any) -> int:
        return 10

    async def position(self, tp: Any) -> int:
        return 7

    async def committed(self, tp: Any) -> int:
        return 5


@pytest.fixture
def unit_settings() -> Settings:
    return Settings(
        database_url="postgresql+asyncpg://u:p@localhost/db",
        kafka_bootstrap_servers="localhost:9092",
        consumer_max_attempts=3,
        consumer_retry_backoff_s=0,
    )


def _encoded(event: dict[str, Any]) -> bytes:
    return json.dumps(event).encode()


def _consumer(
    settings: Settings, source: Any, service: Any, dlq: Any
) -> PaymentsConsumer:
    lag = MagicMock()
    lag.maybe_sample = AsyncMock()
    return PaymentsConsumer(
        consumer=source, service=service, dlq=dlq, settings=settings, lag_monitor=lag
    )


def test_decode_event_validates_known_types() -> None:
    order_id = str(uuid.uuid4())
    envelope, payload = decode_event(_encoded(succeeded(order_id)))
    assert isinstance(payload, PaymentSucceededPayload)
    assert str(payload.order_id) == order_id
    failed = payment_event(
        "PaymentFailed", {"payment_id": "p", "order_id": order_id, "reason": "r"}
    )
    assert isinstance(decode_event(_encoded(failed))[1], PaymentFailedPayload)
    assert envelope.event_type == "PaymentSucceeded"


def test_decode_event_returns_no_payload_for_unknown_type() -> None:
    envelope, payload = decode_event(_encoded(payment_event("PaymentRefunded", {})))
    assert payload is None
    assert envelope.event_type == "PaymentRefunded"


@pytest.mark.parametrize("value", [None, b"{", b'{"event_id": "x"}'])
def test_decode_event_rejects_poison(value: bytes | None) -> None:
    with pytest.raises(PoisonMessageError):
        decode_event(value)


def test_header_value() -> None:
    record = FakeRecord(value=b"", headers=[("a", b"1"), ("b", None)])
    assert header_value(record, "a") == "1"
    assert header_value(record, "b") is None
    assert header_value(FakeRecord(value=b"", headers=[]), "a") is None


def test_build_consumer_disables_auto_commit(
    unit_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    factory = MagicMock()
    monkeypatch.setattr("app.kafka.consumer.AIOKafkaConsumer", factory)
    assert build_consumer(unit_settings) is factory.return_value
    kwargs = factory.call_args.kwargs
    assert factory.call_args.args == (unit_settings.payments_topic,)
    assert kwargs["enable_auto_commit"] is False
    assert kwargs["group_id"] == unit_settings.consumer_group_id


async def test_run_applies_valid_events_as_one_batch_and_commits(
    unit_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    stop = asyncio.Event()
    records = [
        FakeRecord(_encoded(succeeded(str(uuid.uuid4()))), offset=i) for i in range(3)
    ]
    source = FakeSource([{TP: records}], stop)
    service = MagicMock()
    service.handle_batch = AsyncMock(return_value=[ProcessingOutcome.APPLIED] * 3)
    service.handle = AsyncMock()
    consumer = _consumer(unit_settings, source, service, MagicMock())
    with caplog.at_level(logging.INFO, logger="app.kafka.consumer"):
        await consumer.run(stop)
    assert source.started
    assert source.stopped
    assert source.commits == [{TP: 3}]
    assert len(service.handle_batch.await_args.kwargs["events"]) == len(records)
    service.handle.assert_not_awaited()
    processed = [
        r for r in caplog.records if r.getMessage() == "payment_event_processed"
    ]
    assert [getattr(r, "correlation_id", None) for r in processed] == ["corr-7"] * 3


async def test_failed_batch_falls_back_to_one_by_one(unit_settings: Settings) -> None:
    stop = asyncio.Event()
    good = FakeRecord(_encoded(succeeded(str(uuid.uuid4()))), offset=0)
    unknown = FakeRecord(_encoded(succeeded(str(uuid.uuid4()))), offset=1)
    poison = FakeRecord(b"garbage", offset=2)
    source = FakeSource([{TP: [good, unknown, poison]}], stop)
    service = MagicMock()
    service.handle_batch = AsyncMock(side_effect=OrderNotFoundError("x"))
    service.handle = AsyncMock(
        side_effect=[ProcessingOutcome.APPLIED, OrderNotFoundError("x")]
    )
    dlq = MagicMock()
    dlq.publish = AsyncMock()
    await _consumer(unit_settings, source, service, dlq).run(stop)
    assert source.commits == [{TP: 3}]
    assert service.handle.await_count == len([good, unknown])
    dead = [call.args[0].headers for call in dlq.publish.await_args_list]
    assert [dict(h)["dlq_original_offset"] for h in dead] == [b"1", b"2"]


async def test_poison_and_unknown_order_go_to_dlq_without_retry(
    unit_settings: Settings,
) -> None:
    dlq = MagicMock()
    dlq.publish = AsyncMock()
    service = MagicMock()
    service.handle = AsyncMock(side_effect=OrderNotFoundError("x"))
    consumer = _consumer(unit_settings, MagicMock(), service, dlq)
    await consumer.handle_record(FakeRecord(b"garbage", offset=4))
    await consumer.handle_record(FakeRecord(_encoded(succeeded(str(uuid.uuid4())))))
    assert dlq.publish.await_args_list[1].args[0].value != b"garbage"
    service.handle.assert_awaited_once()
    message: OutgoingMessage = dlq.publish.await_args_list[0].args[0]
    headers = dict(message.headers)
    assert message.topic == unit_settings.payments_dlq_topic
    assert message.value == b"garbage"
    assert headers["dlq_original_offset"] == b"4"
    assert headers["dlq_attempts"] == b"1"
    assert headers["dlq_error_type"] == b"PoisonMessageError"
    assert headers["correlation_id"] == b"corr-7"


async def test_transient_errors_are_retried_then_dead_lettered(
    unit_settings: Settings,
) -> None:
    dlq = MagicMock()
    dlq.publish = AsyncMock()
    service = MagicMock()
    service.handle = AsyncMock(side_effect=ConnectionError("db down"))
    consumer = _consumer(unit_settings, MagicMock(), service, dlq)
    await consumer.handle_record(FakeRecord(_encoded(succeeded(str(uuid.uuid4())))))
    assert service.handle.await_count == unit_settings.consumer_max_attempts
    headers = dict(dlq.publish.await_args.args[0].headers)
    assert headers["dlq_attempts"] == str(unit_settings.consumer_max_attempts).encode()


async def test_transient_error_then_success_is_not_dead_lettered(
    unit_settings: Settings,
) -> None:
    dlq = MagicMock()
    dlq.publish = AsyncMock()
    service = MagicMock()
    service.handle = AsyncMock(
        side_effect=[TimeoutError(), ProcessingOutcome.DUPLICATE]
    )
    consumer = _consumer(unit_settings, MagicMock(), service, dlq)
    await consumer.handle_record(FakeRecord(_encoded(succeeded(str(uuid.uuid4())))))
    dlq.publish.assert_not_awaited()
    assert service.handle.await_count == len(service.handle.await_args_list)


async def test_unknown_event_type_is_skipped(unit_settings: Settings) -> None:
    dlq = MagicMock()
    dlq.publish = AsyncMock()
    service = MagicMock()
    service.handle = AsyncMock()
    consumer = _consumer(unit_settings, MagicMock(), service, dlq)
    await consumer.handle_record(FakeRecord(_encoded(payment_event("Other", {}))))
    service.handle.assert_not_awaited()
    dlq.publish.assert_not_awaited()
