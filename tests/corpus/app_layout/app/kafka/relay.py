"""The outbox relay: publishes committed events to Kafka, at least once."""

import asyncio
import contextlib
import json
import logging

from app.core.database import SessionFactory, transaction
from app.kafka.producer import EventPublisher
from app.repositories.outbox import OutboxRepository

LOG = logging.getLogger(__name__)


class OutboxRelay:
    """Moves unpublished outbox rows to Kafka in batches."""

    def __init__(
        self, sessions: SessionFactory, publisher: EventPublisher, batch_size: int
    ) -> None:
        self._sessions = sessions
        self._publisher = publisher
        self._batch_size = batch_size

    async def relay_batch(self) -> int:
        """Publish one batch and mark it published; returns how many were sent."""
        async with transaction(self._sessions) as session:
            outbox = OutboxRepository(session)
            messages = await outbox.claim_unpublished(self._batch_size)
            for message in messages:
                value = json.dumps(message.payload).encode()
                await self._publisher.publish(message.topic, message.key, value)
            await outbox.mark_published([m.id for m in messages])
        return len(messages)

    async def run(self, stop: asyncio.Event, interval_s: float) -> None:
        """Relay until ``stop`` is set, pausing when the outbox is empty."""
        while not stop.is_set():
            try:
                sent = await self.relay_batch()
            except Exception:
                LOG.exception("outbox relay iteration failed")
                sent = 0
            if sent == 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), interval_s)
