"""``KafkaEventBus``: the only code that talks to the Kafka producer."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from aiokafka import AIOKafkaProducer  # type: ignore[import-untyped]
from aiokafka.errors import KafkaError  # type: ignore[import-untyped]

from app.core.config import Settings

log = logging.getLogger(__name__)


class DeliveryFailed(RuntimeError):
    """Kafka did not acknowledge a message after all attempts."""


class KafkaEventBus:
    """Publishes JSON messages with acks=all and bounded, backed-off retries."""

    def __init__(self, producer: Any, max_attempts: int, backoff_ms: int) -> None:
        self.producer = producer
        self.max_attempts = max_attempts
        self.backoff_ms = backoff_ms

    @classmethod
    def from_settings(cls, settings: Settings) -> KafkaEventBus:
        """Build the bus around a durable producer."""
        producer = AIOKafkaProducer(
            bootstrap_servers=settings.kafka_bootstrap_servers,
            client_id=settings.service_name,
            acks="all",
            request_timeout_ms=15_000,
            retry_backoff_ms=settings.producer_backoff_ms,
        )
        return cls(producer, settings.producer_max_attempts, settings.producer_backoff_ms)

    async def publish(
        self, topic: str, key: str, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        """Send ``body`` as JSON, retrying transient failures.

        Raises:
            DeliveryFailed: When every attempt failed.
        """
        value = json.dumps(body).encode()
        encoded = [(k, v.encode()) for k, v in (headers or {}).items()]
        attempt = 0
        while True:
            attempt += 1
            try:
                await self.producer.send_and_wait(topic, value, key=key.encode(), headers=encoded)
                return
            except KafkaError as exc:
                if attempt >= self.max_attempts:
                    raise DeliveryFailed(f"{topic}: {exc}") from exc
                log.warning("send failed, retrying", extra={"topic": topic, "attempt": attempt})
                await asyncio.sleep(self.backoff_ms * attempt / 1000)
