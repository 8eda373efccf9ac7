"""The orders consumer: validated, idempotent, dead-lettering."""

import logging

from aiokafka import AIOKafkaConsumer
from pydantic import ValidationError

from app.core.config import Settings
from app.core.database import Sessions
from app.exceptions import InventoryError
from app.kafka.producer import KafkaSink
from app.schemas.messages import OrderPlacedEvent
from app.services.reservations import reserve_for_order

logger = logging.getLogger(__name__)


def make_consumer(settings: Settings) -> AIOKafkaConsumer:
    """An unstarted consumer of ``orders.v1`` that commits offsets itself."""
    return AIOKafkaConsumer(
        settings.orders_topic,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=settings.consumer_group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )


class OrderConsumer:
    """Polls a started consumer until its task is cancelled."""

    def __init__(
        self, consumer: AIOKafkaConsumer, sessions: Sessions, sink: KafkaSink, settings: Settings
    ) -> None:
        """Use a started ``consumer``; failures are delivered through ``sink``."""
        self.consumer = consumer
        self.sessions = sessions
        self.sink = sink
        self.settings = settings

    async def poll_forever(self) -> None:
        """Process batches and commit their offsets after processing."""
        while True:
            batch = await self.consumer.getmany(timeout_ms=500, max_records=50)
            for records in batch.values():
                for record in records:
                    await self.process(record.value, record.offset)
            if batch:
                await self.consumer.commit()
                await self.record_lag()

    async def process(self, raw: bytes, offset: int) -> None:
        """Reserve stock for one message; dead-letter it if it is invalid or fails."""
        try:
            event = OrderPlacedEvent.model_validate_json(raw)
            await reserve_for_order(self.sessions, event, self.settings.inventory_topic)
        except (ValidationError, InventoryError) as exc:
            logger.warning("order event rejected", extra={"offset": offset, "reason": str(exc)})
            failure = {
                "offset": offset,
                "reason": str(exc),
                "payload": raw.decode(errors="replace"),
            }
            await self.sink.publish(self.settings.orders_dead_letter_topic, str(offset), failure)

    async def record_lag(self) -> None:
        """Log the lag (high watermark minus position) of each assigned partition."""
        for tp in self.consumer.assignment():
            highwater = self.consumer.highwater(tp)
            if highwater is None:
                continue
            lag = highwater - await self.consumer.position(tp)
            logger.info("consumer lag", extra={"partition": tp.partition, "lag": lag})
