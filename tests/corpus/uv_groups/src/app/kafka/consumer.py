"""Stock adjustment consumer: validate, apply once, dead-letter poison, commit."""

from typing import Any

import structlog
from aiokafka import AIOKafkaConsumer  # type: ignore[import-untyped]
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.config import InventorySettings
from app.exceptions import InventoryError
from app.kafka.producer import publish
from app.schemas.events import StockAdjusted
from app.services import stock

log = structlog.get_logger(__name__)
ADJUSTMENT = TypeAdapter(StockAdjusted)


def make_consumer(config: InventorySettings) -> Any:
    """Consumer in the service's group, committing offsets manually."""
    return AIOKafkaConsumer(
        config.adjustments_topic,
        bootstrap_servers=config.kafka_bootstrap_servers,
        group_id=config.consumer_group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )


async def handle(
    record: Any, maker: async_sessionmaker[AsyncSession], producer: Any, dlq: str
) -> None:
    """Apply one record; invalid or rejected records go to the dead letter topic."""
    try:
        event = ADJUSTMENT.validate_json(record.value)
        async with maker() as session, session.begin():
            await stock.adjust(session, event)
    except (ValidationError, InventoryError) as exc:
        log.warning("dead_letter", offset=record.offset, reason=str(exc))
        await publish(producer, dlq, str(record.offset), record.value.decode("utf-8", "replace"))


async def report_lag(consumer: Any) -> None:
    """Log committed-offset lag for every assigned partition."""
    for partition in consumer.assignment():
        end = consumer.highwater(partition)
        committed = await consumer.committed(partition)
        if end is not None:
            log.info("consumer_lag", partition=partition.partition, lag=end - (committed or 0))


async def consume(
    consumer: Any, maker: async_sessionmaker[AsyncSession], producer: Any, dlq: str
) -> None:
    """Poll batches forever; commit after each batch is fully handled."""
    while True:
        batches = await consumer.getmany(timeout_ms=500, max_records=100)
        for records in batches.values():
            for record in records:
                await handle(record, maker, producer, dlq)
        if batches:
            await consumer.commit()
            await report_lag(consumer)
