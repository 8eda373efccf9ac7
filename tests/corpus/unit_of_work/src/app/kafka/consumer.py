"""Moderation verdict consumer process: ``python -m app.kafka.consumer``.

Offsets are committed manually after each message is applied (or dead-lettered);
SIGTERM/SIGINT cancel the loop and the consumer leaves its group in ``finally``.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import Any

from aiokafka import AIOKafkaConsumer  # type: ignore[import-untyped]
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.config import Settings, load_settings
from app.core.database import make_engine, make_session_factory
from app.core.logging import setup_logging
from app.exceptions import NotesError
from app.kafka.producer import KafkaEventBus
from app.schemas.messages import ModerationVerdict
from app.services.moderation import apply_verdict
from app.services.unit_of_work import SqlAlchemyUnitOfWork

log = logging.getLogger(__name__)
LAG_EVERY = 100


class VerdictConsumer:
    """Validates, applies and commits verdicts one by one."""

    def __init__(
        self,
        consumer: Any,
        session_factory: async_sessionmaker[AsyncSession],
        bus: KafkaEventBus,
        dead_letter_topic: str,
    ) -> None:
        self.consumer = consumer
        self.session_factory = session_factory
        self.bus = bus
        self.dead_letter_topic = dead_letter_topic
        self.handled = 0

    async def handle(self, record: Any) -> None:
        """Apply one record; poison records are sent to the dead letter topic."""
        try:
            verdict = ModerationVerdict.model_validate_json(record.value)
            await apply_verdict(SqlAlchemyUnitOfWork(self.session_factory), verdict)
        except (ValidationError, NotesError) as exc:
            await self.dead_letter(record, exc)
        await self.consumer.commit()
        self.handled += 1
        if self.handled % LAG_EVERY == 0:
            await self.log_lag()

    async def dead_letter(self, record: Any, error: Exception) -> None:
        """Forward the raw record and the reason to the dead letter topic."""
        log.warning("dead-lettering record", extra={"offset": record.offset})
        body = {"raw": record.value.decode(errors="replace"), "error": str(error)}
        headers = {"source-topic": record.topic, "error-type": type(error).__name__}
        await self.bus.publish(self.dead_letter_topic, "dlq", body, headers)

    async def log_lag(self) -> None:
        """Log the lag of each partition: end offset minus committed offset."""
        partitions = list(self.consumer.assignment())
        ends = await self.consumer.end_offsets(partitions)
        for partition in partitions:
            committed = await self.consumer.committed(partition) or 0
            lag = ends[partition] - committed
            log.info("consumer lag", extra={"partition": str(partition), "lag": lag})

    async def run(self) -> None:
        """Consume until cancelled, then stop the consumer."""
        await self.consumer.start()
        try:
            async for record in self.consumer:
                await self.handle(record)
        finally:
            await self.consumer.stop()


def build(settings: Settings) -> tuple[VerdictConsumer, Any]:
    """Wire the consumer, its session factory and the dead-letter bus."""
    engine = make_engine(settings)
    kafka_consumer = AIOKafkaConsumer(
        settings.verdicts_topic,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=settings.consumer_group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    bus = KafkaEventBus.from_settings(settings)
    worker = VerdictConsumer(
        kafka_consumer, make_session_factory(engine), bus, settings.verdicts_dead_letter_topic
    )
    return worker, engine


async def main() -> None:
    """Run until SIGTERM/SIGINT."""
    settings = load_settings()
    setup_logging(settings.log_level)
    worker, engine = build(settings)
    await worker.bus.producer.start()
    task = asyncio.create_task(worker.run())
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, task.cancel)
    loop.add_signal_handler(signal.SIGINT, task.cancel)
    try:
        await task
    except asyncio.CancelledError:
        log.info("consumer stopped")
    finally:
        await worker.bus.producer.stop()
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
