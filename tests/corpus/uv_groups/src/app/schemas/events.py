"""Event payloads exchanged over Kafka."""

from datetime import UTC, datetime
from uuid import uuid4

from pydantic import BaseModel, ConfigDict, Field, field_validator


class ItemRegistered(BaseModel):
    """Published when a SKU is registered."""

    event_id: str = Field(default_factory=lambda: uuid4().hex)
    type: str = "item.registered"
    at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    sku: str
    name: str
    warehouse: str


class StockAdjusted(BaseModel):
    """Consumed: a goods receipt (positive delta) or a pick (negative delta)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    event_id: str = Field(min_length=8, max_length=64)
    sku: str
    delta: int

    @field_validator("delta")
    @classmethod
    def _not_zero(cls, value: int) -> int:
        if value == 0:
            raise ValueError("an adjustment cannot be zero")
        return value
