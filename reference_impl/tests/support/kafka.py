"""Kafka helpers for integration tests."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from app.kafka.clients import (
    AIOKafkaAdminClient,
    AIOKafkaConsumer,
    AIOKafkaProducer,
    NewTopic,
    TopicPartition,
)


async def create_topics(bootstrap: str, *names: str, partitions: int = 3) -> None:
    """Create topics (idempotently enough for unique names)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, partitions, 1) for name in names])
    finally:
        await admin.close()


def payment_event(
    event_type: str,
    payload: dict[str, Any],
    *,
    event_id: uuid.UUID | None = None,
    correlation_id: str = "corr-payment",
) -> dict[str, Any]:
    """Build a payments.v1 envelope."""
    return {
        "event_id": str(event_id or uuid.uuid4()),
        "event_type": event_type,
        "event_version": 1,
        "occurred_at": datetime.now(UTC).isoformat(),
        "correlation_id": correlation_id,
        "payload": payload,
    }


def succeeded(order_id: str, **kwargs: Any) -> dict[str, Any]:
    """A PaymentSucceeded envelope for ``order_id``."""
    payload = {
        "payment_id": f"pay-{uuid.uuid4().hex[:8]}",
        "order_id": order_id,
        "amount": "39.98",
        "currency": "EUR",
    }
    return payment_event("PaymentSucceeded", payload, **kwargs)


async def produce(
    bootstrap: str, topic: str, values: list[bytes], *, keys: list[bytes] | None = None
) -> None:
    """Publish raw values with a ``correlation_id`` header."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=False)
    await producer.start()
    try:
        for index, value in enumerate(values):
            key = keys[index] if keys else None
            headers = [("correlation_id", b"corr-payment")]
            await producer.send_and_wait(topic, value=value, key=key, headers=headers)
    finally:
        await producer.stop()


def encode(event: dict[str, Any]) -> bytes:
    """JSON-encode an envelope."""
    return json.dumps(event).encode()


async def read_topic(
    bootstrap: str,
    topic: str,
    *,
    until: Callable[[list[Any]], bool],
    timeout_s: float = 20.0,
) -> list[Any]:
    """Read ``topic`` from the beginning until ``until(records)`` holds."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False
    )
    await consumer.start()
    await consumer.topics()
    partitions = consumer.partitions_for_topic(topic) or set()
    consumer.assign([TopicPartition(topic, p) for p in partitions])
    await consumer.seek_to_beginning()
    records: list[Any] = []
    deadline = time.monotonic() + timeout_s
    try:
        while not until(records) and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=200)
            for partition_records in batch.values():
                records.extend(partition_records)
    finally:
        await consumer.stop()
    return records


async def wait_for(
    condition: Callable[[], Awaitable[bool]], *, timeout_s: float = 20.0
) -> bool:
    """Poll ``condition`` every 50 ms until it holds or the timeout passes."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if await condition():
            return True
        await asyncio.sleep(0.05)
    return False
