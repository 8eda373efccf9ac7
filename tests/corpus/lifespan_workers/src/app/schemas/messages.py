"""Kafka event payloads."""

import uuid
from datetime import UTC, datetime

from pydantic import BaseModel, Field, PositiveInt


class OrderPlacedEvent(BaseModel):
    """Consumed from ``orders.v1``: stock must be reserved for the order."""

    event_id: uuid.UUID
    order_ref: str = Field(min_length=1, max_length=64)
    sku: str
    quantity: PositiveInt


class StockEvent(BaseModel):
    """Published on ``inventory.v1`` when stock changes."""

    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    kind: str
    sku: str
    on_hand: int
    at: datetime = Field(default_factory=lambda: datetime.now(UTC))
