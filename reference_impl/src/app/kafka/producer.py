"""Kafka producer: durable settings, batch publishing and health checks."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import Any

from app.core.config import Settings
from app.kafka.clients import AIOKafkaProducer, KafkaError
from app.services.ports import OutgoingMessage, PublishResult

logger = logging.getLogger(__name__)


class PublishError(Exception):
    """A message could not be published after the producer's own retries."""


def build_producer(settings: Settings) -> Any:
    """Create an (unstarted) producer configured for durability.

    ``acks="all"`` waits for every in-sync replica; transient failures are
    retried by the client with ``retry_backoff_ms`` until
    ``request_timeout_ms`` elapses. Idempotence is on by default and can be
    switched off for brokers that lack InitProducerId (e.g. Tansu).

    Args:
        settings: Application settings.

    Returns:
        An ``AIOKafkaProducer``.
    """
    return AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        client_id=settings.kafka_client_id,
        acks="all",
        enable_idempotence=settings.kafka_enable_idempotence,
        retry_backoff_ms=settings.kafka_retry_backoff_ms,
        request_timeout_ms=settings.kafka_request_timeout_ms,
        linger_ms=settings.kafka_linger_ms,
        max_batch_size=256 * 1024,
    )


class EventPublisher:
    """Owns a producer's lifecycle and publishes messages.

    A producer that failed to start cannot be restarted, so the publisher
    builds a fresh one from ``factory`` on every connection attempt.
    """

    def __init__(self, factory: Callable[[], Any]) -> None:
        """Initialise the publisher.

        Args:
            factory: Callable returning a new, unstarted producer.
        """
        self._factory = factory
        self._producer: Any = None
        self._lock = asyncio.Lock()

    @property
    def connected(self) -> bool:
        """Whether a started producer is available."""
        return self._producer is not None

    async def start(self) -> bool:
        """Connect if not yet connected.

        Returns:
            ``True`` when a producer is started, ``False`` if Kafka is unreachable.
        """
        async with self._lock:
            if self._producer is not None:
                return True
            producer = self._factory()
            try:
                await producer.start()
            except KafkaError as exc:
                logger.warning(
                    "kafka_producer_start_failed", extra={"error": repr(exc)}
                )
                await producer.stop()
                return False
            self._producer = producer
            return True

    async def stop(self) -> None:
        """Flush pending records and close the producer."""
        async with self._lock:
            producer, self._producer = self._producer, None
        if producer is not None:
            await producer.stop()

    async def publish(self, message: OutgoingMessage) -> None:
        """Publish one message and wait for the broker's acknowledgement.

        Args:
            message: The message.

        Raises:
            PublishError: When not connected or the broker did not acknowledge.
        """
        result = (await self.publish_many([message]))[0]
        if result.error is not None:
            raise PublishError(result.error)

    async def publish_many(
        self, messages: Sequence[OutgoingMessage]
    ) -> list[PublishResult]:
        """Publish a batch; records are batched by the client and sent together.

        Args:
            messages: Messages in the order they must be written.

        Returns:
            One result per message, in the same order.
        """
        if not await self.start():
            return [PublishResult(m.message_id, "kafka unavailable") for m in messages]
        futures = [await self._enqueue(message) for message in messages]
        outcomes = await asyncio.gather(*futures, return_exceptions=True)
        return [
            PublishResult(
                m.message_id, repr(o) if isinstance(o, BaseException) else None
            )
            for m, o in zip(messages, outcomes, strict=True)
        ]

    async def _enqueue(self, message: OutgoingMessage) -> asyncio.Future[Any]:
        """Append one record to the producer's batch; errors become the result."""
        try:
            future: asyncio.Future[Any] = await self._producer.send(
                message.topic,
                value=message.value,
                key=message.key,
                headers=message.headers,
            )
        except KafkaError as exc:
            future = asyncio.get_running_loop().create_future()
            future.set_exception(exc)
        return future

    async def is_healthy(self, timeout_s: float) -> bool:
        """Check that the broker answers a metadata request.

        Args:
            timeout_s: Seconds to wait for the broker.

        Returns:
            ``True`` when Kafka is reachable.
        """
        try:
            async with asyncio.timeout(timeout_s):
                if not await self.start():
                    return False
                await self._producer.client.fetch_all_metadata()
        except (KafkaError, TimeoutError):
            return False
        return True
