"""Background worker: ``python -m app.worker`` runs the relay and the consumer.

SIGTERM/SIGINT set a stop event; both loops are cancelled, the consumer leaves
its group and the producer flushes before the process exits.
"""

import asyncio
import signal
from typing import Any

import structlog

from app.core.config import InventorySettings, settings
from app.core.database import engine_from, sessionmaker_for
from app.core.logging import configure
from app.kafka.consumer import consume, make_consumer
from app.kafka.producer import make_producer
from app.kafka.relay import relay_loop

log = structlog.get_logger(__name__)


def stop_on_signals() -> asyncio.Event:
    """An event set by SIGTERM or SIGINT."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    return stop


async def run_until(stop: asyncio.Event, config: InventorySettings, consumer: Any) -> None:
    """Run relay and consumer until ``stop`` is set, then shut everything down."""
    engine = engine_from(config)
    maker = sessionmaker_for(engine)
    producer = make_producer(config)
    await producer.start()
    await consumer.start()
    tasks = [
        asyncio.create_task(relay_loop(maker, producer, config.relay_idle_s)),
        asyncio.create_task(consume(consumer, maker, producer, config.adjustments_dlq_topic)),
    ]
    try:
        await stop.wait()
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await consumer.stop()
        await producer.stop()
        await engine.dispose()


async def main() -> None:
    """Configure logging and run until a signal arrives."""
    config = settings()
    configure(config.log_level, config.json_logs)
    log.info("worker_starting")
    await run_until(stop_on_signals(), config, make_consumer(config))


if __name__ == "__main__":
    asyncio.run(main())
