"""The processed-event ledger that makes the consumer idempotent."""

import uuid

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import ProcessedEvent


class ProcessedEventRepository:
    """Claims event ids; a second claim of the same id is refused."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def claim(self, event_id: uuid.UUID, event_type: str) -> bool:
        """Insert the id unless present; True when this call recorded it first."""
        statement = (
            insert(ProcessedEvent)
            .values(event_id=event_id, event_type=event_type)
            .on_conflict_do_nothing(index_elements=[ProcessedEvent.event_id])
            .returning(ProcessedEvent.event_id)
        )
        result = await self._session.execute(statement)
        return result.scalar_one_or_none() is not None
