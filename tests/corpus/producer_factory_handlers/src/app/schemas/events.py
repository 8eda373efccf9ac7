"""Kafka message payloads (versioned with their topics)."""

import uuid
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, Field


class BookingRequestedEvent(BaseModel):
    """Emitted to ``bookings.v1`` when a booking is created."""

    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    type: Literal["booking.requested"] = "booking.requested"
    emitted_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    booking_id: uuid.UUID
    room: str


class PaymentCapturedEvent(BaseModel):
    """Received from ``booking-payments.v1``: the stay is paid for."""

    event_id: uuid.UUID
    type: Literal["payment.captured"]
    booking_id: uuid.UUID
