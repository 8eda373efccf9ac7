"""Kafka producer built through an injectable factory, with bounded retries."""

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any

from aiokafka import AIOKafkaProducer  # type: ignore[import-untyped]
from aiokafka.errors import KafkaError  # type: ignore[import-untyped]

from app.core.config import AppSettings
from app.exceptions import DeliveryError

log = logging.getLogger(__name__)


class EventProducer:
    """Publishes JSON events; the client class is injectable for tests."""

    def __init__(
        self,
        bootstrap_servers: str,
        *,
        retries: int = 5,
        retry_backoff_ms: int = 200,
        enable_idempotence: bool = False,
        factory: Callable[..., Any] = AIOKafkaProducer,
    ) -> None:
        """Prepare the client options; nothing connects before :meth:`start`."""
        self._factory = factory
        self._retries = retries
        self._backoff_s = retry_backoff_ms / 1000
        self._options: dict[str, Any] = {
            "bootstrap_servers": bootstrap_servers,
            "acks": "all",
            "enable_idempotence": enable_idempotence,
            "retry_backoff_ms": retry_backoff_ms,
            "request_timeout_ms": 15_000,
        }
        self._client: Any = None

    @classmethod
    def from_settings(cls, cfg: AppSettings) -> "EventProducer":
        """Build a producer configured from the service settings."""
        return cls(
            cfg.kafka_bootstrap_servers,
            retries=cfg.kafka_retries,
            retry_backoff_ms=cfg.kafka_retry_backoff_ms,
            enable_idempotence=cfg.kafka_enable_idempotence,
        )

    async def start(self) -> None:
        """Create the client through the factory and connect it."""
        self._client = self._factory(**self._options)
        await self._client.start()

    async def stop(self) -> None:
        """Flush and close the client if it was started."""
        if self._client is not None:
            await self._client.stop()
            self._client = None

    async def send(self, topic: str, key: str, body: dict[str, Any]) -> None:
        """Send one event, retrying failed sends with a growing backoff.

        Raises:
            DeliveryError: If every attempt failed.
        """
        value = json.dumps(body).encode()
        failure: KafkaError | None = None
        for attempt in range(1, self._retries + 2):
            try:
                await self._client.send_and_wait(topic, value, key=key.encode())
            except KafkaError as exc:
                failure = exc
                log.warning("send failed", extra={"topic": topic, "attempt": attempt})
                await asyncio.sleep(self._backoff_s * attempt)
            else:
                return
        raise DeliveryError(f"{topic}: {failure}") from failure
