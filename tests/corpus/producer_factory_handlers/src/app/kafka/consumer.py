"""Consumer process: polls raw bytes and dispatches them to the handlers."""

import asyncio
import logging
import signal
from typing import Any

from aiokafka import AIOKafkaConsumer  # type: ignore[import-untyped]

from app.core.config import AppSettings, load_settings
from app.core.database import engine
from app.core.logging import setup_logging
from app.exceptions import BookingError
from app.kafka.handlers import Handler, handle_message
from app.kafka.producer import EventProducer

log = logging.getLogger(__name__)


class PaymentEventsConsumer:
    """Runs the poll loop; failed messages go to the dead letter topic."""

    def __init__(
        self, client: Any, handle: Handler, dead_letters: EventProducer, dlq: str
    ) -> None:
        """Keep the Kafka client, the handler and the dead letter producer."""
        self._consumer = client
        self._handle = handle
        self._dead_letters = dead_letters
        self._dlq = dlq

    async def consume(self, stop: asyncio.Event) -> None:
        """Poll until ``stop``; commit after each partition's records."""
        await self._consumer.start()
        try:
            while not stop.is_set():
                polled = await self._consumer.getmany(timeout_ms=1000)
                for records in polled.values():
                    for record in records:
                        await self.dispatch(record)
                    await self._consumer.commit()
                await self.log_lag()
        finally:
            await self._consumer.stop()

    async def dispatch(self, record: Any) -> None:
        """Hand the raw value to the handler; dead-letter it when handling fails."""
        try:
            await self._handle(record.value)
        except BookingError as exc:
            log.warning("message dead-lettered", extra={"offset": record.offset})
            body = {"error": exc.code, "reason": str(exc), "offset": record.offset}
            await self._dead_letters.send(self._dlq, f"{record.offset}", body)

    async def log_lag(self) -> None:
        """Log end offset minus committed offset per assigned partition."""
        partitions = list(self._consumer.assignment())
        if not partitions:
            return
        ends = await self._consumer.end_offsets(partitions)
        for tp in partitions:
            committed = await self._consumer.committed(tp) or 0
            lag = ends[tp] - committed
            log.info("consumer lag", extra={"partition": tp.partition, "lag": lag})


def kafka_consumer(cfg: AppSettings) -> AIOKafkaConsumer:
    """The aiokafka client: manual commits, earliest offset for new groups."""
    return AIOKafkaConsumer(
        cfg.payment_events_topic,
        bootstrap_servers=cfg.kafka_bootstrap_servers,
        group_id=cfg.consumer_group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )


async def run(cfg: AppSettings, stop: asyncio.Event) -> None:
    """Consume until ``stop``; close the DLQ producer and the engine afterwards."""
    dead_letters = EventProducer.from_settings(cfg)
    await dead_letters.start()
    consumer = PaymentEventsConsumer(
        kafka_consumer(cfg), handle_message, dead_letters, cfg.dead_letter_topic
    )
    try:
        await consumer.consume(stop)
    finally:
        await dead_letters.stop()
        await engine.dispose()


async def _serve() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    await run(load_settings(), stop)


def main() -> None:
    """Entry point: ``python -m app.kafka.consumer``."""
    setup_logging(load_settings().log_level)
    asyncio.run(_serve())


if __name__ == "__main__":
    main()
