"""Outbox relay process: polls the outbox and publishes to Kafka."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Protocol

from sqlalchemy.exc import SQLAlchemyError

from app.core.config import Settings
from app.core.database import create_engine, create_session_factory
from app.kafka.consumer import install_shutdown_handlers, remove_shutdown_handlers
from app.kafka.producer import EventPublisher, build_producer
from app.services.outbox_relay import OutboxRelay

logger = logging.getLogger(__name__)


class PendingEventPublisher(Protocol):
    """Anything that publishes one batch of pending outbox events."""

    async def publish_pending_events(self) -> int:
        """Publish one batch and return how many events were published."""


async def relay_loop(
    relay: PendingEventPublisher, stop: asyncio.Event, poll_interval_s: float
) -> None:
    """Publish batches back to back; idle-wait only when nothing was published.

    Args:
        relay: The relay.
        stop: Set to stop after the current batch.
        poll_interval_s: Idle wait between polls of an empty outbox.
    """
    while not stop.is_set():
        try:
            published = await relay.publish_pending_events()
        except (SQLAlchemyError, OSError) as exc:
            logger.warning("outbox_relay_db_error", extra={"error": repr(exc)})
            published = 0
        if published == 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=poll_interval_s)


async def run_relay(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Run the outbox relay process until SIGTERM/SIGINT (or ``stop``).

    Args:
        settings: Application settings.
        stop: Optional externally controlled stop event.
    """
    stop = stop or asyncio.Event()
    install_shutdown_handlers(stop)
    engine = create_engine(settings)
    publisher = EventPublisher(lambda: build_producer(settings))
    relay = OutboxRelay(
        session_factory=create_session_factory(engine),
        publisher=publisher,
        batch_size=settings.relay_batch_size,
        lease_s=settings.relay_lease_s,
    )
    logger.info("outbox_relay_started", extra={"topic": settings.orders_topic})
    try:
        await relay_loop(relay, stop, settings.relay_poll_interval_s)
    finally:
        remove_shutdown_handlers()
        await publisher.stop()
        await engine.dispose()
        logger.info("outbox_relay_stopped")
