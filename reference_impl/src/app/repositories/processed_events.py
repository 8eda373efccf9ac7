"""Idempotency ledger for consumed events."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

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
        return bool(await self.record_many([(event_id, event_type)], topic=topic))

    async def record_many(
        self, events: Sequence[tuple[uuid.UUID, str]], *, topic: str
    ) -> set[uuid.UUID]:
        """Insert every event id not seen yet, in one statement.

        Args:
            events: ``(event_id, event_type)`` pairs; ids may repeat.
            topic: Topic the events were consumed from.

        Returns:
            The ids seen for the first time (each at most once).
        """
        if not events:
            return set()
        rows = [{"event_id": i, "event_type": t, "topic": topic} for i, t in events]
        statement = (
            insert(ProcessedEvent)
            .values(rows)
            .on_conflict_do_nothing(index_elements=[ProcessedEvent.event_id])
            .returning(ProcessedEvent.event_id)
        )
        result = await self._session.execute(statement)
        return set(result.scalars().all())
