"""Moves staged outbox messages to Kafka."""

import asyncio
import logging
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.database import unit_of_work
from app.exceptions import PublishError
from app.repositories.outbox import OutboxRepository

logger = logging.getLogger(__name__)


class Publisher(Protocol):
    """Anything that can deliver one event to a topic."""

    async def publish(self, topic: str, key: str, payload: dict[str, Any]) -> None:
        """Deliver ``payload`` to ``topic`` under ``key``."""


class OutboxRelay:
    """Publishes unpublished outbox messages in batches, oldest first."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        publisher: Publisher,
        batch_size: int,
    ) -> None:
        """Store the collaborators."""
        self._sessions = sessions
        self._publisher = publisher
        self._batch_size = batch_size

    async def relay_batch(self) -> int:
        """Publish one batch; return how many messages were published.

        A failed send leaves the rest of the batch for the next round.
        """
        async with unit_of_work(self._sessions) as session:
            outbox = OutboxRepository(session)
            sent = []
            for message in await outbox.claim(self._batch_size):
                try:
                    await self._publisher.publish(
                        message.topic, message.key, message.payload
                    )
                except PublishError:
                    extra = {"outbox_id": str(message.id)}
                    logger.warning("outbox publish failed", extra=extra)
                    break
                sent.append(message.id)
            if sent:
                await outbox.mark_published(sent)
            return len(sent)

    async def run(self, stop: asyncio.Event, interval_s: float) -> None:
        """Relay batches until ``stop`` is set, pausing when the outbox is empty."""
        while not stop.is_set():
            if await self.relay_batch() == 0:
                try:
                    await asyncio.wait_for(stop.wait(), timeout=interval_s)
                except TimeoutError:
                    continue
