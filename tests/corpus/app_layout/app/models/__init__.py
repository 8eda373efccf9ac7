"""ORM models; importing this package registers every table on ``Base.metadata``."""

from app.models.base import Base
from app.models.messaging import OutboxMessage, ProcessedEvent
from app.models.ticket import Comment, Ticket

__all__ = ["Base", "Comment", "OutboxMessage", "ProcessedEvent", "Ticket"]
