"""Outbox and inbox statements."""

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import InboxMessage, OutboxEntry


def enqueue(session: AsyncSession, topic: str, key: str, body: dict[str, Any]) -> None:
    """Add an outbox entry to the session's transaction."""
    session.add(OutboxEntry(topic=topic, partition_key=key, body=body))


async def lock_unsent(session: AsyncSession, limit: int) -> Sequence[OutboxEntry]:
    """Lock the oldest unsent entries, skipping rows other relays hold."""
    query = (
        select(OutboxEntry)
        .where(OutboxEntry.sent_at.is_(None))
        .order_by(OutboxEntry.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return (await session.scalars(query)).all()


async def mark_sent(session: AsyncSession, entry_ids: list[int]) -> None:
    """Stamp entries as delivered."""
    await session.execute(
        update(OutboxEntry)
        .where(OutboxEntry.id.in_(entry_ids))
        .values(sent_at=func.now())
    )


async def remember_event(session: AsyncSession, event_id: uuid.UUID) -> bool:
    """Record a handled event; False when the inbox already has it."""
    statement = (
        insert(InboxMessage)
        .values(event_id=event_id)
        .on_conflict_do_nothing()
        .returning(InboxMessage.event_id)
    )
    return (await session.execute(statement)).first() is not None
