"""Outbox relay process: ``python -m app.kafka.relay``."""

from __future__ import annotations

import asyncio
import logging
import signal

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.config import load_settings
from app.core.database import make_engine, make_session_factory
from app.core.logging import setup_logging
from app.kafka.producer import KafkaEventBus
from app.services.unit_of_work import SqlAlchemyUnitOfWork

log = logging.getLogger(__name__)
BATCH = 200


async def relay_pending(
    session_factory: async_sessionmaker[AsyncSession], bus: KafkaEventBus
) -> int:
    """Publish one batch of outbox events and mark them relayed, in one transaction."""
    async with SqlAlchemyUnitOfWork(session_factory) as uow:
        events = await uow.outbox.pending(BATCH)
        for event in events:
            await bus.publish(event.topic, event.partition_key, event.body)
            event.relayed = True
        await uow.commit()
    return len(events)


async def relay_forever(
    session_factory: async_sessionmaker[AsyncSession], bus: KafkaEventBus, poll_s: float
) -> None:
    """Relay until cancelled; an empty outbox is polled every ``poll_s`` seconds."""
    while True:
        try:
            relayed = await relay_pending(session_factory, bus)
        except Exception:
            log.exception("relay batch failed")
            relayed = 0
        if not relayed:
            await asyncio.sleep(poll_s)


async def main() -> None:
    """Run the relay until SIGTERM or SIGINT cancels it."""
    settings = load_settings()
    setup_logging(settings.log_level)
    engine = make_engine(settings)
    bus = KafkaEventBus.from_settings(settings)
    await bus.producer.start()
    task = asyncio.create_task(
        relay_forever(make_session_factory(engine), bus, settings.relay_poll_s)
    )
    for signum in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(signum, task.cancel)
    try:
        await task
    except asyncio.CancelledError:
        log.info("relay stopping")
    finally:
        await bus.producer.stop()
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
