"""Messages the service publishes and consumes on Kafka."""

import uuid
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field


def _now() -> datetime:
    return datetime.now(UTC)


class TicketOpenedEvent(BaseModel):
    """Published (through the outbox) when a ticket is opened."""

    model_config = ConfigDict(frozen=True)

    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    event_type: str = "ticket.opened"
    occurred_at: datetime = Field(default_factory=_now)
    ticket_id: uuid.UUID
    priority: str
    requester: str


class ReplyReceivedEvent(BaseModel):
    """Consumed: the e-mail gateway received a reply on a ticket thread."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    event_id: uuid.UUID
    event_type: str = "reply.received"
    ticket_id: uuid.UUID
    author: str = Field(min_length=1, max_length=120)
    body: str = Field(min_length=1)
