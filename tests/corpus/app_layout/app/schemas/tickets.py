"""Request and response bodies of the ticket endpoints."""

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Priority(StrEnum):
    """How urgently a ticket needs an agent."""

    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"


class TicketStatus(StrEnum):
    """Where a ticket is in its life cycle."""

    OPEN = "open"
    AWAITING_AGENT = "awaiting_agent"


_TICKET_EXAMPLE: dict[str, Any] = {
    "id": "0b9f3c1e-8f5e-4a53-9a57-3f1b2f3f0c11",
    "title": "Cannot download my invoice",
    "description": "The PDF link returns an error.",
    "priority": "high",
    "status": "open",
    "requester": "ana@example.com",
    "created_at": "2025-01-01T10:00:00Z",
}


class TicketCreate(BaseModel):
    """What a customer submits to open a ticket."""

    model_config = ConfigDict(
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "title": "Cannot download my invoice",
                    "description": "The PDF link returns an error.",
                    "priority": "high",
                    "requester": "ana@example.com",
                }
            ]
        },
    )

    title: str = Field(min_length=3, max_length=200)
    description: str = Field(default="", max_length=5000)
    priority: Priority = Priority.NORMAL
    requester: str = Field(min_length=3, max_length=120)


class TicketView(BaseModel):
    """A ticket as returned by the API."""

    model_config = ConfigDict(
        from_attributes=True, json_schema_extra={"examples": [_TICKET_EXAMPLE]}
    )

    id: uuid.UUID
    title: str
    description: str
    priority: Priority
    status: TicketStatus
    requester: str
    created_at: datetime


class CommentView(BaseModel):
    """A reply attached to a ticket."""

    model_config = ConfigDict(from_attributes=True)

    author: str
    body: str
    created_at: datetime


class TicketDetail(TicketView):
    """A ticket with its conversation."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={"examples": [{**_TICKET_EXAMPLE, "comments": []}]},
    )

    comments: list[CommentView]


class TicketPage(BaseModel):
    """One page of tickets, newest first."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"items": [_TICKET_EXAMPLE], "limit": 20, "offset": 0}]
        }
    )

    items: list[TicketView]
    limit: int
    offset: int
