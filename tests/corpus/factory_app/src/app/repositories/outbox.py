"""Persistence of outbox messages."""

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import OutboxMessage


class OutboxRepository:
    """Stages events and hands unpublished ones to the relay."""

    def __init__(self, session: AsyncSession) -> None:
        """Store the collaborators."""
        self._session = session

    def stage(self, topic: str, key: str, payload: dict[str, Any]) -> None:
        """Add an event to the current transaction."""
        self._session.add(OutboxMessage(topic=topic, key=key, payload=payload))

    async def claim(self, limit: int) -> list[OutboxMessage]:
        """Lock up to ``limit`` unpublished messages, oldest first."""
        query = (
            select(OutboxMessage)
            .where(OutboxMessage.published_at.is_(None))
            .order_by(OutboxMessage.created_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return list((await self._session.scalars(query)).all())

    async def mark_published(self, ids: list[uuid.UUID]) -> None:
        """Record that the messages with ``ids`` reached Kafka."""
        stamp = datetime.now(UTC)
        statement = (
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids))
            .values(published_at=stamp)
        )
        await self._session.execute(statement)
