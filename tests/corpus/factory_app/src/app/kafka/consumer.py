"""The payments consumer: validates, settles once, dead-letters failures."""

import asyncio
import logging
import signal
from typing import Any

from aiokafka import (  # type: ignore[import-untyped]
    AIOKafkaConsumer,
    ConsumerRecord,
)
from pydantic import ValidationError

from app.core.config import Settings, get_settings
from app.core.database import build_engine, build_session_factory
from app.core.logging import configure_logging
from app.exceptions import InvoiceServiceError
from app.kafka.producer import KafkaPublisher, build_producer
from app.schemas.events import PaymentReceivedEvent
from app.services.settlement import SettlementService

logger = logging.getLogger(__name__)


def build_consumer(settings: Settings) -> AIOKafkaConsumer:
    """Create the payments consumer; offsets are committed by hand after processing."""
    return AIOKafkaConsumer(
        settings.payments_topic,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=settings.payments_group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )


class PaymentConsumer:
    """Consumes payment events until told to stop."""

    def __init__(
        self,
        consumer: AIOKafkaConsumer,
        settlement: SettlementService,
        dead_letters: KafkaPublisher,
        dlq_topic: str,
    ) -> None:
        """Store the collaborators."""
        self._consumer = consumer
        self._settlement = settlement
        self._dead_letters = dead_letters
        self._dlq_topic = dlq_topic

    async def run(self, stop: asyncio.Event) -> None:
        """Poll, process and commit until ``stop`` is set; always leave the group."""
        await self._consumer.start()
        try:
            while not stop.is_set():
                batches = await self._consumer.getmany(timeout_ms=500, max_records=100)
                for records in batches.values():
                    for record in records:
                        await self.handle(record)
                if batches:
                    await self._consumer.commit()
                    await self.report_lag()
        finally:
            await self._consumer.stop()

    async def handle(self, record: ConsumerRecord[Any, Any]) -> None:
        """Validate and apply one record; send it to the DLQ when that fails."""
        try:
            event = PaymentReceivedEvent.model_validate_json(record.value)
            await self._settlement.apply(event)
        except (ValidationError, InvoiceServiceError) as exc:
            logger.warning("payment event dead-lettered", extra={"reason": str(exc)})
            payload = {
                "error": str(exc),
                "offset": record.offset,
                "raw": repr(record.value),
            }
            key = str(record.offset)
            await self._dead_letters.publish(self._dlq_topic, key, payload)

    async def report_lag(self) -> None:
        """Log how far the consumer trails each assigned partition."""
        for partition in self._consumer.assignment():
            highwater = self._consumer.highwater(partition)
            position = await self._consumer.position(partition)
            if highwater is not None:
                lag = highwater - position
                extra = {"partition": partition.partition, "lag": lag}
                logger.info("consumer lag", extra=extra)


def install_signal_handlers(stop: asyncio.Event) -> None:
    """Set ``stop`` on SIGTERM and SIGINT."""
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)


async def serve(settings: Settings, stop: asyncio.Event) -> None:
    """Run the consumer with its own engine and DLQ producer until ``stop``."""
    engine = build_engine(settings)
    dead_letters = KafkaPublisher(build_producer(settings))
    await dead_letters.start()
    consumer = PaymentConsumer(
        build_consumer(settings),
        SettlementService(build_session_factory(engine)),
        dead_letters,
        settings.payments_dlq_topic,
    )
    try:
        await consumer.run(stop)
    finally:
        await dead_letters.stop()
        await engine.dispose()


async def _main() -> None:
    """Wire signals and serve."""
    stop = asyncio.Event()
    install_signal_handlers(stop)
    await serve(get_settings(), stop)


def main() -> None:
    """Console entry point of the payments consumer process."""
    configure_logging(get_settings().log_level)
    asyncio.run(_main())
