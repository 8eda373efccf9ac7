"""A Kafka producer wrapper that retries failed sends with backoff."""

import asyncio
import logging
from typing import Any, Protocol

from aiokafka import AIOKafkaProducer  # type: ignore[import-untyped]
from aiokafka.errors import KafkaError  # type: ignore[import-untyped]

from app.core.config import Settings

LOG = logging.getLogger(__name__)


class Sender(Protocol):
    """The part of ``AIOKafkaProducer`` the publisher needs."""

    async def start(self) -> None:
        """Connect to the cluster."""

    async def stop(self) -> None:
        """Flush and disconnect."""

    async def send_and_wait(self, topic: str, value: bytes, key: bytes) -> Any:
        """Send one record and wait for the broker's acknowledgement."""


class PublishError(Exception):
    """A record could not be delivered after every attempt."""


def build_producer(settings: Settings) -> Sender:
    """Create the producer: acknowledged by all in-sync replicas, bounded retries."""
    producer: Sender = AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        acks="all",
        enable_idempotence=settings.kafka_idempotence,
        retry_backoff_ms=settings.kafka_retry_backoff_ms,
        request_timeout_ms=settings.kafka_request_timeout_ms,
        linger_ms=5,
    )
    return producer


class EventPublisher:
    """Sends records, retrying transient Kafka errors with exponential backoff."""

    def __init__(self, sender: Sender, attempts: int, backoff_s: float) -> None:
        self._sender = sender
        self._attempts = attempts
        self._backoff_s = backoff_s

    async def publish(self, topic: str, key: str, value: bytes) -> None:
        """Deliver one record.

        Raises:
            PublishError: If every attempt failed.
        """
        last_error: Exception | None = None
        for attempt in range(1, self._attempts + 1):
            try:
                await self._sender.send_and_wait(topic, value=value, key=key.encode())
            except KafkaError as exc:
                LOG.warning(
                    "kafka send failed",
                    extra={"fields": {"topic": topic, "attempt": attempt}},
                )
                last_error = exc
                await asyncio.sleep(self._backoff_s * 2 ** (attempt - 1))
            else:
                return
        raise PublishError(f"could not publish to {topic}") from last_error
