"""Relay process: drains the outbox into Kafka until SIGTERM/SIGINT."""

import asyncio
import signal

from app.core.config import AppSettings, load_settings
from app.core.database import engine
from app.core.logging import setup_logging
from app.kafka.producer import EventProducer
from app.services.outbox import drain_until


async def relay(cfg: AppSettings, stop: asyncio.Event, producer: EventProducer) -> None:
    """Run the drain loop with ``producer``, closing it and the engine at the end."""
    await producer.start()
    try:
        await drain_until(producer, stop, cfg.outbox_batch, cfg.outbox_idle_s)
    finally:
        await producer.stop()
        await engine.dispose()


async def _serve() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    cfg = load_settings()
    await relay(cfg, stop, EventProducer.from_settings(cfg))


def main() -> None:
    """Entry point: ``python -m app.kafka.outbox_worker``."""
    setup_logging(load_settings().log_level)
    asyncio.run(_serve())


if __name__ == "__main__":
    main()
