"""Durable producer settings and a send that reports broker failures."""

from typing import Any

import structlog
from aiokafka import AIOKafkaProducer  # type: ignore[import-untyped]
from aiokafka.errors import KafkaError  # type: ignore[import-untyped]

from app.core.config import InventorySettings

log = structlog.get_logger(__name__)


class PublishFailed(Exception):
    """The broker did not acknowledge the message."""


def make_producer(config: InventorySettings) -> Any:
    """acks=all, idempotent-safe ordering, client retries bounded by the delivery timeout."""
    return AIOKafkaProducer(
        bootstrap_servers=config.kafka_bootstrap_servers,
        acks="all",
        retry_backoff_ms=300,
        request_timeout_ms=20_000,
        max_batch_size=64 * 1024,
    )


async def publish(producer: Any, topic: str, key: str, value: str) -> None:
    """Send one message and wait for the acknowledgement.

    Raises:
        PublishFailed: If the broker rejected the message or timed out.
    """
    try:
        await producer.send_and_wait(topic, value.encode(), key=key.encode())
    except KafkaError as exc:
        log.warning("publish_failed", topic=topic, key=key, error=str(exc))
        raise PublishFailed(topic) from exc
