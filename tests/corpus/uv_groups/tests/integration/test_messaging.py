"""Outbox relay and adjustment consumer on a real database."""

import json
import uuid

import pytest
from aiokafka.errors import KafkaTimeoutError  # type: ignore[import-untyped]
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.kafka.consumer import handle, report_lag
from app.kafka.relay import relay_once
from app.models import PendingMessage, StockItem
from app.services import stock
from tests.conftest import Record, RecordingProducer, ScriptedConsumer

Maker = async_sessionmaker[AsyncSession]


async def _item(maker: Maker) -> str:
    sku = f"M-{uuid.uuid4().hex[:10].upper()}"
    async with maker() as session, session.begin():
        await stock.register_item(session, sku, "Gear", "MUC3", "inventory.items.v1")
    return sku


def _adjustment(sku: str, delta: int, event_id: str | None = None) -> Record:
    body = {"event_id": event_id or uuid.uuid4().hex, "sku": sku, "delta": delta}
    return Record(json.dumps(body).encode())


async def test_relay_publishes_and_stamps(maker: Maker) -> None:
    sku = await _item(maker)
    failing = RecordingProducer(error=KafkaTimeoutError())
    assert await relay_once(maker, failing) == 0
    producer = RecordingProducer()
    while await relay_once(maker, producer):
        pass
    assert sku.encode() in [key for _, _, key in producer.sent]
    async with maker() as session:
        pending = await session.scalars(select(PendingMessage).where(PendingMessage.key == sku))
        assert all(message.sent_at is not None for message in pending)


async def test_adjustments_apply_once_and_poison_is_dead_lettered(maker: Maker) -> None:
    sku = await _item(maker)
    producer = RecordingProducer()
    event_id = uuid.uuid4().hex
    for record in (
        _adjustment(sku, 5, event_id),
        _adjustment(sku, 5, event_id),
        _adjustment(sku, -9),
        _adjustment("UNKNOWN-1", 1),
    ):
        await handle(record, maker, producer, "dlq.v1")
    async with maker() as session:
        item = await session.get(StockItem, sku)
    assert item is not None and item.quantity == 5
    assert [topic for topic, _, _ in producer.sent] == ["dlq.v1", "dlq.v1"]


async def test_lag_is_reported(caplog: pytest.LogCaptureFixture) -> None:
    source = ScriptedConsumer(commits=1)
    await report_lag(source)
    source.commits = 2
    await report_lag(source)
    assert source.assignment()
