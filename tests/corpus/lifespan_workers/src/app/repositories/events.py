"""Outbox and handled-event statements."""

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import HandledEvent, OutboxRecord


class EventStore:
    """The outbox and the consumer's ledger of handled events."""

    def __init__(self, session: AsyncSession) -> None:
        """Bind to ``session``."""
        self.session = session

    def add_outgoing(self, topic: str, key: str, value: dict[str, Any]) -> None:
        """Queue an event in the current transaction."""
        self.session.add(OutboxRecord(topic=topic, key=key, value=value, published=False))

    async def next_outgoing(self, limit: int) -> Sequence[OutboxRecord]:
        """Lock the oldest unpublished records."""
        query = (
            select(OutboxRecord)
            .where(OutboxRecord.published.is_(False))
            .order_by(OutboxRecord.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return (await self.session.scalars(query)).all()

    async def mark_published(self, ids: Sequence[int]) -> None:
        """Flag records as published."""
        statement = update(OutboxRecord).where(OutboxRecord.id.in_(ids)).values(published=True)
        await self.session.execute(statement)

    async def first_delivery(self, event_id: uuid.UUID, source: str) -> bool:
        """Record ``event_id``; False if it was handled before (ON CONFLICT DO NOTHING)."""
        statement = (
            insert(HandledEvent)
            .values(event_id=event_id, source=source)
            .on_conflict_do_nothing(index_elements=["event_id"])
        )
        result = await self.session.execute(statement)
        return bool(getattr(result, "rowcount", 0))
