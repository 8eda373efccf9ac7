"""Idempotency ledger for consumed events."""

from __future__ import annotations

import uuid

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.processed_event import ProcessedEvent


class ProcessedEventRepository:
    """Records consumed event ids inside the consumer's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        """Initialise the repository.

        Args:
            session: The unit-of-work session.
        """
        self._session = session

    async def record(self, *, event_id: uuid.UUID, event_type: str, topic: str) -> bool:
        """Insert the event id unless it is already there.

        Args:
            event_id: Envelope event id.
            event_type: Envelope event type.
            topic: Topic it was consumed from.

        Returns:
            ``True`` when this is the first time the event is seen.
        """
        statement = (
            insert(ProcessedEvent)
            .values(event_id=event_id, event_type=event_type, topic=topic)
            .on_conflict_do_nothing(index_elements=[ProcessedEvent.event_id])
            .returning(ProcessedEvent.event_id)
        )
        result = await self._session.execute(statement)
        return result.scalar_one_or_none() is not None
