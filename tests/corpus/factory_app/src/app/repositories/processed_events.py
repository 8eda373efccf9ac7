"""The ledger of consumed events."""

import uuid

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import ProcessedEvent


class ProcessedEventRepository:
    """Records consumed event ids exactly once."""

    def __init__(self, session: AsyncSession) -> None:
        """Store the collaborators."""
        self._session = session

    async def record(self, event_id: uuid.UUID) -> bool:
        """Insert ``event_id``; return False when it was already processed."""
        statement = (
            insert(ProcessedEvent)
            .values(event_id=event_id)
            .on_conflict_do_nothing(index_elements=[ProcessedEvent.event_id])
            .returning(ProcessedEvent.event_id)
        )
        inserted = await self._session.scalar(statement)
        return inserted is not None
