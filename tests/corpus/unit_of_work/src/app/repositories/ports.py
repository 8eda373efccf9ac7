"""Abstract repositories the service layer depends on."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from app.models import Note, OutboxEvent


class NoteRepository(abc.ABC):
    """Collection-like access to notes."""

    @abc.abstractmethod
    async def add(self, note: Note) -> None:
        """Start tracking a new note."""

    @abc.abstractmethod
    async def get(self, note_id: UUID) -> Note | None:
        """Return the note with its revisions, or None."""

    @abc.abstractmethod
    async def latest(self, limit: int, author: str | None) -> Sequence[Note]:
        """Return the newest notes, optionally of one author."""


class OutboxRepository(abc.ABC):
    """Events recorded in the same transaction as the change."""

    @abc.abstractmethod
    async def put(self, topic: str, key: str, body: dict[str, Any]) -> None:
        """Record an event for the relay."""

    @abc.abstractmethod
    async def pending(self, limit: int) -> Sequence[OutboxEvent]:
        """Lock and return events not relayed yet."""


class InboxRepository(abc.ABC):
    """Ids of messages already handled."""

    @abc.abstractmethod
    async def seen(self, message_id: str) -> bool:
        """Whether ``message_id`` was handled before."""

    @abc.abstractmethod
    async def remember(self, message_id: str) -> None:
        """Record ``message_id`` as handled."""
