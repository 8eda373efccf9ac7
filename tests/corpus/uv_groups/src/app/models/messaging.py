"""Outbox (messages to publish) and the ledger of handled events."""

from datetime import datetime

from sqlalchemy import DateTime, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from app.models.inventory import Base


class PendingMessage(Base):
    """Outbox row: a serialized event waiting for the relay."""

    __tablename__ = "pending_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    topic: Mapped[str] = mapped_column(String(120))
    key: Mapped[str] = mapped_column(String(64))
    value: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)


class HandledEvent(Base):
    """Consumed event id, unique so that a redelivery is detected."""

    __tablename__ = "handled_event"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    handled_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
