"""Versioned event envelope and the payloads carried on Kafka topics."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

ENVELOPE_VERSION = 1


class EventEnvelope(BaseModel):
    """Envelope around every event on ``orders.v1`` and ``payments.v1``."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "event_id": "0b8f8a9c-5f2e-4a7e-b0d4-3c1e2f9a8b7c",
                    "event_type": "PaymentSucceeded",
                    "event_version": 1,
                    "occurred_at": "2025-01-01T12:00:05Z",
                    "correlation_id": "2d7c9f5e-8a41-4bde-9a0c-3b8f9e0d1c2a",
                    "payload": {
                        "payment_id": "pay-1",
                        "order_id": "6f1c2a9e-2b43-4c8a-9a57-3f0d1c2e4b5a",
                        "amount": "39.98",
                        "currency": "EUR",
                    },
                }
            ]
        }
    )

    event_id: uuid.UUID
    event_type: str = Field(min_length=1, max_length=64)
    event_version: int = Field(default=ENVELOPE_VERSION, ge=1)
    occurred_at: datetime
    correlation_id: str | None = Field(default=None, max_length=128)
    payload: dict[str, Any]


class OrderItemPayload(BaseModel):
    """Line item inside ``OrderCreated``."""

    sku: str
    quantity: int
    unit_price: Decimal


class OrderCreatedPayload(BaseModel):
    """Payload of ``OrderCreated``."""

    order_id: uuid.UUID
    customer_id: str
    currency: str
    total_amount: Decimal
    items: list[OrderItemPayload]


class OrderStatusChangedPayload(BaseModel):
    """Payload of ``OrderCancelled``, ``OrderConfirmed`` and ``OrderRejected``."""

    order_id: uuid.UUID
    status: str
    reason: str | None = None
    payment_id: str | None = None


class PaymentSucceededPayload(BaseModel):
    """Payload of ``PaymentSucceeded`` (consumed from ``payments.v1``)."""

    model_config = ConfigDict(extra="ignore")

    payment_id: str = Field(min_length=1, max_length=128)
    order_id: uuid.UUID
    amount: Decimal
    currency: str = Field(pattern=r"^[A-Z]{3}$")


class PaymentFailedPayload(BaseModel):
    """Payload of ``PaymentFailed`` (consumed from ``payments.v1``)."""

    model_config = ConfigDict(extra="ignore")

    payment_id: str = Field(min_length=1, max_length=128)
    order_id: uuid.UUID
    reason: str = Field(min_length=1, max_length=500)


PaymentPayload = PaymentSucceededPayload | PaymentFailedPayload
PAYMENT_PAYLOADS: dict[str, type[PaymentPayload]] = {
    "PaymentSucceeded": PaymentSucceededPayload,
    "PaymentFailed": PaymentFailedPayload,
}


def build_envelope(
    event_type: str, payload: BaseModel, correlation_id: str | None
) -> EventEnvelope:
    """Wrap a payload in a new envelope with a fresh event id.

    Args:
        event_type: The event type name, e.g. ``OrderCreated``.
        payload: The typed payload.
        correlation_id: Correlation id of the request or event that caused it.

    Returns:
        The envelope, ready to be stored in the outbox.
    """
    return EventEnvelope(
        event_id=uuid.uuid4(),
        event_type=event_type,
        occurred_at=datetime.now(UTC),
        correlation_id=correlation_id,
        payload=payload.model_dump(mode="json"),
    )
