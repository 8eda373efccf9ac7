"""The reply consumer: idempotent processing, dead-lettering, graceful shutdown.

Run it with ``python -m app.kafka.consumer``.
"""

import asyncio
import logging
import signal
from typing import Any, Protocol

from aiokafka import AIOKafkaConsumer  # type: ignore[import-untyped]
from pydantic import ValidationError

from app.core.config import Settings, get_settings
from app.core.database import (
    SessionFactory,
    build_engine,
    build_session_factory,
    transaction,
)
from app.core.logging import configure_logging
from app.exceptions import TicketServiceError
from app.kafka.producer import EventPublisher, build_producer
from app.schemas.events import ReplyReceivedEvent
from app.services.replies import ReplyService

LOG = logging.getLogger(__name__)
POLL_TIMEOUT_MS = 1000


class RecordSource(Protocol):
    """The part of ``AIOKafkaConsumer`` the loop uses."""

    async def start(self) -> None:
        """Join the group."""

    async def stop(self) -> None:
        """Leave the group."""

    async def getmany(self, *, timeout_ms: int) -> dict[Any, list[Any]]:
        """Fetch records by partition."""

    async def commit(self) -> None:
        """Commit the consumed offsets."""

    def assignment(self) -> set[Any]:
        """Partitions assigned to this member."""

    def highwater(self, partition: Any) -> int | None:
        """Offset of the next record the broker will write."""

    async def position(self, partition: Any) -> int:
        """Offset of the next record this member will read."""


class ReplyConsumer:
    """Applies ``reply.received`` events; poison messages go to the DLQ."""

    def __init__(
        self,
        source: RecordSource,
        sessions: SessionFactory,
        dead_letters: EventPublisher,
        dlq_topic: str,
    ) -> None:
        self._consumer = source
        self._sessions = sessions
        self._dead_letters = dead_letters
        self._dlq_topic = dlq_topic

    async def handle(self, record: Any) -> None:
        """Process one record; invalid or unprocessable ones are dead-lettered."""
        try:
            event = ReplyReceivedEvent.model_validate_json(record.value)
            async with transaction(self._sessions) as session:
                await ReplyService(session).apply(event)
        except (ValidationError, TicketServiceError) as exc:
            await self._dead_letter(record, exc)

    async def _dead_letter(self, record: Any, error: Exception) -> None:
        LOG.warning(
            "message dead-lettered",
            extra={"fields": {"offset": record.offset, "error": str(error)[:200]}},
        )
        key = record.key.decode() if record.key else ""
        await self._dead_letters.publish(self._dlq_topic, key, record.value)

    async def poll_once(self) -> int:
        """Handle one fetched batch, then commit its offsets; returns its size."""
        batches = await self._consumer.getmany(timeout_ms=POLL_TIMEOUT_MS)
        records = [record for batch in batches.values() for record in batch]
        for record in records:
            await self.handle(record)
        if records:
            await self._consumer.commit()
        await self.report_lag()
        return len(records)

    async def report_lag(self) -> None:
        """Log how far this member trails each assigned partition."""
        for partition in self._consumer.assignment():
            highwater = self._consumer.highwater(partition)
            if highwater is None:
                continue
            lag = highwater - await self._consumer.position(partition)
            LOG.debug("consumer lag", extra={"fields": {"lag": lag}})

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until ``stop`` is set, always leaving the group cleanly."""
        await self._consumer.start()
        try:
            while not stop.is_set():
                await self.poll_once()
        finally:
            await self._consumer.stop()


def install_signal_handlers(stop: asyncio.Event) -> None:
    """Set ``stop`` on SIGTERM and SIGINT."""
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)


def build_consumer(settings: Settings) -> RecordSource:
    """Create the Kafka consumer with manual offset commits."""
    consumer: RecordSource = AIOKafkaConsumer(
        settings.replies_topic,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=settings.consumer_group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    return consumer


async def consume(settings: Settings, stop: asyncio.Event) -> None:
    """Wire the consumer to the database and the DLQ producer and run it."""
    engine = build_engine(settings)
    producer = build_producer(settings)
    await producer.start()
    publisher = EventPublisher(producer, settings.kafka_send_attempts, 0.5)
    sessions = build_session_factory(engine)
    source = build_consumer(settings)
    try:
        consumer = ReplyConsumer(
            source, sessions, publisher, settings.replies_dlq_topic
        )
        await consumer.run(stop)
    finally:
        await producer.stop()
        await engine.dispose()


async def main() -> None:
    """Entry point: configure logging, install signal handlers, consume."""
    settings = get_settings()
    configure_logging(settings.log_level)
    stop = asyncio.Event()
    install_signal_handlers(stop)
    await consume(settings, stop)


if __name__ == "__main__":
    asyncio.run(main())
