"""ORM models; importing this package registers every table on ``Base.metadata``."""

from app.models.base import Base
from app.models.booking import Booking, Guest
from app.models.messaging import InboxMessage, OutboxEntry

__all__ = ["Base", "Booking", "Guest", "InboxMessage", "OutboxEntry"]
