"""SQLAlchemy implementations of the repository ports."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.models import InboxMessage, Note, OutboxEvent
from app.repositories.ports import InboxRepository, NoteRepository, OutboxRepository


class SqlNoteRepository(NoteRepository):
    """Notes stored in PostgreSQL."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, note: Note) -> None:
        """Add ``note`` (and its revisions) to the session."""
        self.session.add(note)

    async def get(self, note_id: UUID) -> Note | None:
        """Load one note with its revisions."""
        query = select(Note).options(selectinload(Note.revisions))
        return await self.session.scalar(query.where(Note.id == note_id))

    async def latest(self, limit: int, author: str | None) -> Sequence[Note]:
        """Newest first."""
        query = select(Note).order_by(Note.created_at.desc()).limit(limit)
        if author:
            query = query.where(Note.author == author)
        return (await self.session.scalars(query)).all()


class SqlOutboxRepository(OutboxRepository):
    """Outbox rows in PostgreSQL."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def put(self, topic: str, key: str, body: dict[str, Any]) -> None:
        """Insert an outbox row."""
        self.session.add(OutboxEvent(topic=topic, partition_key=key, body=body))

    async def pending(self, limit: int) -> Sequence[OutboxEvent]:
        """Oldest unrelayed rows, locked against concurrent relays."""
        query = (
            select(OutboxEvent)
            .where(OutboxEvent.relayed.is_(False))
            .order_by(OutboxEvent.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return (await self.session.scalars(query)).all()


class SqlInboxRepository(InboxRepository):
    """Inbox rows in PostgreSQL."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def seen(self, message_id: str) -> bool:
        """Look the id up."""
        query = select(InboxMessage.id).where(InboxMessage.message_id == message_id)
        return await self.session.scalar(query) is not None

    async def remember(self, message_id: str) -> None:
        """Insert the id; the unique key rejects a concurrent duplicate."""
        self.session.add(InboxMessage(message_id=message_id))
