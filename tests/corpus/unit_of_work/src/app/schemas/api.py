"""HTTP request and response bodies."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

NOTE_ID = "5b0f6c7e-2f7c-4d55-9f3e-0d7a1c2b3e4f"


class NewNote(BaseModel):
    """Body of ``POST /notes``."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"author": "grace", "title": "Standup", "body": "Ship the outbox relay."}]
        },
    )

    author: str = Field(min_length=1, max_length=80, pattern=r"^[\w.-]+$")
    title: str = Field(min_length=1, max_length=160)
    body: str = Field(min_length=1, max_length=20_000)


class RevisionOut(BaseModel):
    """One revision of a note."""

    model_config = ConfigDict(from_attributes=True)

    number: int
    body: str


class NoteOut(BaseModel):
    """A note, as listed."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": NOTE_ID,
                    "author": "grace",
                    "title": "Standup",
                    "state": "published",
                    "created_at": "2025-03-01T09:00:00Z",
                }
            ]
        },
    )

    id: UUID
    author: str
    title: str
    state: str
    created_at: datetime


class NoteWithRevisions(NoteOut):
    """A note with its full history."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": NOTE_ID,
                    "author": "grace",
                    "title": "Standup",
                    "state": "published",
                    "created_at": "2025-03-01T09:00:00Z",
                    "revisions": [{"number": 1, "body": "Ship the outbox relay."}],
                }
            ]
        },
    )

    revisions: list[RevisionOut]


class Problem(BaseModel):
    """The body of every error response."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "not_found",
                    "title": "note ... not found",
                    "status": 404,
                    "request_id": "a1b2c3",
                    "errors": [],
                }
            ]
        }
    )

    type: str
    title: str
    status: int
    request_id: str | None
    errors: list[dict[str, str]]


class Health(BaseModel):
    """Answer of the health endpoints."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "pass"}]})

    status: str = "pass"
