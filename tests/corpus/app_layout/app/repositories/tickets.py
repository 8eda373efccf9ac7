"""Persistence of tickets and their comments."""

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.models import Comment, Ticket


class TicketRepository:
    """Reads and writes tickets inside the caller's session."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, ticket: Ticket) -> Ticket:
        """Stage ``ticket`` and flush so its server defaults are loaded."""
        self._session.add(ticket)
        await self._session.flush()
        await self._session.refresh(ticket)
        return ticket

    async def get(self, ticket_id: uuid.UUID) -> Ticket | None:
        """Return the ticket with its comments, or None."""
        query = (
            select(Ticket)
            .where(Ticket.id == ticket_id)
            .options(selectinload(Ticket.comments))
        )
        return (await self._session.scalars(query)).one_or_none()

    async def page(
        self, limit: int, offset: int, status: str | None = None
    ) -> Sequence[Ticket]:
        """Return tickets newest first, optionally only those in ``status``."""
        query = select(Ticket).order_by(Ticket.created_at.desc(), Ticket.id)
        if status is not None:
            query = query.where(Ticket.status == status)
        return (await self._session.scalars(query.limit(limit).offset(offset))).all()

    async def add_comment(self, ticket: Ticket, author: str, body: str) -> Comment:
        """Attach a comment to ``ticket``."""
        comment = Comment(ticket_id=ticket.id, author=author, body=body)
        self._session.add(comment)
        await self._session.flush()
        return comment
