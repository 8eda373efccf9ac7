"""Tables: notes with their revisions, plus the outbox and inbox of messaging."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import JSON, DateTime, ForeignKey, Index, String, Text, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base of every table."""


class Note(Base):
    """A note written by an author; moderation may archive it."""

    __tablename__ = "notes"
    __table_args__ = (Index("ix_notes_author_created", "author", "created_at"),)

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    author: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(160))
    state: Mapped[str] = mapped_column(String(20), default="published", index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    revisions: Mapped[list[NoteRevision]] = relationship(
        back_populates="note", order_by="NoteRevision.number", cascade="all"
    )


class NoteRevision(Base):
    """One saved version of a note's body."""

    __tablename__ = "note_revisions"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    note_id: Mapped[UUID] = mapped_column(ForeignKey("notes.id"), index=True)
    number: Mapped[int]
    body: Mapped[str] = mapped_column(Text)
    note: Mapped[Note] = relationship(back_populates="revisions")


class OutboxEvent(Base):
    """An event waiting to be relayed to Kafka."""

    __tablename__ = "outbox_events"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    topic: Mapped[str] = mapped_column(String(200))
    partition_key: Mapped[str] = mapped_column(String(80))
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    relayed: Mapped[bool] = mapped_column(default=False, index=True)


class InboxMessage(Base):
    """A consumed message id; the unique key refuses a second delivery."""

    __tablename__ = "inbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    message_id: Mapped[str] = mapped_column(String(64), unique=True)
    received_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
