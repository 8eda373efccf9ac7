"""SQLAlchemy models of the notes service."""

from app.models.entities import Base, InboxMessage, Note, NoteRevision, OutboxEvent

__all__ = ["Base", "InboxMessage", "Note", "NoteRevision", "OutboxEvent"]
