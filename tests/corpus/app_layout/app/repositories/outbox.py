"""The transactional outbox: events stored with the change that caused them."""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import OutboxMessage


class OutboxRepository:
    """Appends events and hands unpublished ones to the relay."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def append(self, topic: str, key: str, payload: dict[str, Any]) -> None:
        """Store an event in the same transaction as the business change."""
        self._session.add(OutboxMessage(topic=topic, key=key, payload=payload))
        await self._session.flush()

    async def claim_unpublished(self, limit: int) -> Sequence[OutboxMessage]:
        """Lock up to ``limit`` unpublished events, oldest first (skipping locked)."""
        query = (
            select(OutboxMessage)
            .where(OutboxMessage.published_at.is_(None))
            .order_by(OutboxMessage.created_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return (await self._session.scalars(query)).all()

    async def mark_published(self, ids: Sequence[uuid.UUID]) -> None:
        """Record that the events with ``ids`` reached Kafka."""
        statement = (
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids))
            .values(published_at=datetime.now(UTC))
        )
        await self._session.execute(statement)
