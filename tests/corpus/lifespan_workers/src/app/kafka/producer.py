"""The outbox's Kafka producer."""

import json
import logging
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from app.core.config import Settings

logger = logging.getLogger(__name__)


def make_producer(settings: Settings) -> AIOKafkaProducer:
    """An unstarted producer: acks from all in-sync replicas, retried with backoff."""
    return AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        acks="all",
        enable_idempotence=settings.kafka_idempotent,
        retry_backoff_ms=settings.kafka_retry_backoff_ms,
        request_timeout_ms=settings.kafka_request_timeout_ms,
    )


class KafkaSink:
    """Delivers JSON events through a started producer."""

    def __init__(self, producer: AIOKafkaProducer) -> None:
        """Wrap ``producer``."""
        self.producer = producer

    async def publish(self, topic: str, key: str, value: dict[str, Any]) -> bool:
        """Send and wait for the acknowledgement; False (logged) when Kafka fails."""
        try:
            await self.producer.send_and_wait(topic, json.dumps(value).encode(), key=key.encode())
        except KafkaError:
            logger.exception("kafka delivery failed", extra={"topic": topic})
            return False
        return True
