"""The Unit of Work ("Architecture Patterns with Python", chapter 6).

A use case opens ``async with uow:``, works through the repositories and calls
``await uow.commit()`` explicitly; leaving the block rolls back whatever was not
committed, so a failure can never leave a half-written transaction behind.
"""

from __future__ import annotations

import abc
from types import TracebackType
from typing import Self

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.repositories.ports import InboxRepository, NoteRepository, OutboxRepository
from app.repositories.sqlalchemy import (
    SqlInboxRepository,
    SqlNoteRepository,
    SqlOutboxRepository,
)


class AbstractUnitOfWork(abc.ABC):
    """One atomic business transaction over the repositories."""

    notes: NoteRepository
    outbox: OutboxRepository
    inbox: InboxRepository

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.rollback()

    @abc.abstractmethod
    async def commit(self) -> None:
        """Make the work durable."""

    @abc.abstractmethod
    async def rollback(self) -> None:
        """Discard uncommitted work."""

    @abc.abstractmethod
    async def ping(self) -> None:
        """Round-trip to the storage (readiness)."""


class SqlAlchemyUnitOfWork(AbstractUnitOfWork):
    """Unit of Work over one ``AsyncSession`` per ``async with`` block."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._session_factory = session_factory
        self._session: AsyncSession | None = None

    @property
    def session(self) -> AsyncSession:
        """The session of the open block."""
        if self._session is None:
            raise RuntimeError("the unit of work is not open")
        return self._session

    async def __aenter__(self) -> Self:
        self._session = self._session_factory()
        self.notes = SqlNoteRepository(self._session)
        self.outbox = SqlOutboxRepository(self._session)
        self.inbox = SqlInboxRepository(self._session)
        return await super().__aenter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await super().__aexit__(exc_type, exc, traceback)
        await self.session.close()
        self._session = None

    async def commit(self) -> None:
        """Commit the session."""
        await self.session.commit()

    async def rollback(self) -> None:
        """Roll the session back."""
        await self.session.rollback()

    async def ping(self) -> None:
        """Run ``SELECT 1``."""
        await self.session.execute(text("SELECT 1"))
