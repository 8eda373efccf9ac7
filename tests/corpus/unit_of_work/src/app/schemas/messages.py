"""Kafka message contracts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, Field


class NoteEvent(BaseModel):
    """Envelope of the events this service publishes."""

    event_id: UUID = Field(default_factory=uuid4)
    kind: Literal["note.published"]
    note_id: UUID
    author: str
    emitted_at: datetime = Field(default_factory=lambda: datetime.now(UTC))


class ModerationVerdict(BaseModel):
    """Message consumed from the moderation service."""

    model_config = ConfigDict(extra="forbid")

    message_id: str = Field(min_length=1, max_length=64)
    note_id: UUID
    decision: Literal["approve", "reject"]
