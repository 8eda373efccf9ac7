"""Event envelopes exchanged over Kafka."""

import uuid
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class InvoiceIssuedEvent(BaseModel):
    """Published on the invoices topic when an invoice is issued."""

    model_config = ConfigDict(frozen=True)

    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    event_type: Literal["invoice.issued"] = "invoice.issued"
    occurred_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    invoice_id: uuid.UUID
    customer: str
    total_cents: int
    currency: str


class PaymentReceivedEvent(BaseModel):
    """Consumed from the payments topic: a payment settles an invoice."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    event_id: uuid.UUID
    event_type: Literal["payment.received"]
    invoice_id: uuid.UUID
    amount_cents: int = Field(ge=0)
