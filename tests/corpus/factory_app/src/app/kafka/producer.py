"""The Kafka producer behind the outbox relay."""

import json
from typing import Any

from aiokafka import AIOKafkaProducer  # type: ignore[import-untyped]
from aiokafka.errors import KafkaError  # type: ignore[import-untyped]

from app.core.config import Settings
from app.exceptions import PublishError


def build_producer(settings: Settings) -> AIOKafkaProducer:
    """Create a producer that waits for all in-sync replicas and retries with backoff.

    Args:
        settings: The service settings.

    Returns:
        An unstarted producer.
    """
    return AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        acks="all",
        enable_idempotence=settings.kafka_enable_idempotence,
        request_timeout_ms=settings.kafka_request_timeout_ms,
        retry_backoff_ms=settings.kafka_retry_backoff_ms,
        linger_ms=5,
    )


class KafkaPublisher:
    """Sends JSON events and turns client failures into :class:`PublishError`."""

    def __init__(self, producer: AIOKafkaProducer) -> None:
        """Store the collaborators."""
        self._producer = producer

    async def start(self) -> None:
        """Connect to the cluster."""
        await self._producer.start()

    async def stop(self) -> None:
        """Flush pending sends and disconnect."""
        await self._producer.stop()

    async def publish(self, topic: str, key: str, payload: dict[str, Any]) -> None:
        """Send one event and wait for the broker's acknowledgement.

        Raises:
            PublishError: If Kafka refused or timed out the send.
        """
        value = json.dumps(payload).encode()
        try:
            await self._producer.send_and_wait(topic, value=value, key=key.encode())
        except KafkaError as exc:
            raise PublishError(f"could not publish to {topic}: {exc}") from exc
