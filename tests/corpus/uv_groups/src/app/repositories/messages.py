"""Outbox and handled-event queries."""

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import HandledEvent, PendingMessage


async def enqueue(session: AsyncSession, topic: str, key: str, value: str) -> None:
    """Add a message to the outbox in the caller's transaction."""
    session.add(PendingMessage(topic=topic, key=key, value=value))


async def unsent(session: AsyncSession, limit: int) -> Sequence[PendingMessage]:
    """Oldest unsent messages, locked (``SKIP LOCKED``) for this relay."""
    query = (
        select(PendingMessage)
        .where(PendingMessage.sent_at.is_(None))
        .order_by(PendingMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return (await session.scalars(query)).all()


def mark_sent(message: PendingMessage) -> None:
    """Record the publication time."""
    message.sent_at = datetime.now(UTC)


async def first_delivery(session: AsyncSession, event_id: str) -> bool:
    """Record ``event_id``; False (and nothing written) when it was already handled."""
    try:
        async with session.begin_nested():
            session.add(HandledEvent(event_id=event_id))
    except IntegrityError:
        return False
    return True
