"""The outbox relay process."""

import asyncio
import signal

from app.core.config import Settings, get_settings
from app.core.database import build_engine, build_session_factory
from app.core.logging import configure_logging
from app.kafka.producer import KafkaPublisher, build_producer
from app.services.outbox_relay import OutboxRelay


async def serve_relay(settings: Settings, stop: asyncio.Event) -> None:
    """Relay the outbox to Kafka until ``stop`` is set."""
    engine = build_engine(settings)
    publisher = KafkaPublisher(build_producer(settings))
    await publisher.start()
    sessions = build_session_factory(engine)
    relay = OutboxRelay(sessions, publisher, settings.relay_batch_size)
    try:
        await relay.run(stop, settings.relay_interval_s)
    finally:
        await publisher.stop()
        await engine.dispose()


async def _main() -> None:
    """Wire SIGTERM/SIGINT and serve."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await serve_relay(get_settings(), stop)


def main() -> None:
    """Console entry point of the relay process."""
    configure_logging(get_settings().log_level)
    asyncio.run(_main())
