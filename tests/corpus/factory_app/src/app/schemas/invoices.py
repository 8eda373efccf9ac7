"""Request and response bodies of the invoice endpoints."""

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, JsonValue

_LINE_EXAMPLE: dict[str, JsonValue] = {
    "description": "Consulting, March",
    "quantity": 3,
    "unit_price_cents": 12000,
}
_INVOICE_EXAMPLE: dict[str, JsonValue] = {
    "id": "6f1c2a52-8f0e-4bb6-9a53-0f0f3a8e2c11",
    "customer": "ACME Corp",
    "currency": "EUR",
    "total_cents": 36000,
    "status": "issued",
    "issued_at": "2026-03-31T09:00:00Z",
    "lines": [_LINE_EXAMPLE],
}


class InvoiceLineIn(BaseModel):
    """One line of a new invoice."""

    model_config = ConfigDict(json_schema_extra={"examples": [_LINE_EXAMPLE]})

    description: str = Field(min_length=1, max_length=200)
    quantity: int = Field(gt=0, le=10_000)
    unit_price_cents: int = Field(ge=0)


class InvoiceCreate(BaseModel):
    """Body of ``POST /invoices``."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"customer": "ACME Corp", "currency": "EUR", "lines": [_LINE_EXAMPLE]}
            ]
        }
    )

    customer: str = Field(min_length=1, max_length=120)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    lines: list[InvoiceLineIn] = Field(min_length=1, max_length=100)


class InvoiceLineOut(BaseModel):
    """A stored invoice line."""

    model_config = ConfigDict(
        from_attributes=True, json_schema_extra={"examples": [_LINE_EXAMPLE]}
    )

    description: str
    quantity: int
    unit_price_cents: int


class InvoiceOut(BaseModel):
    """An invoice as the API returns it."""

    model_config = ConfigDict(
        from_attributes=True, json_schema_extra={"examples": [_INVOICE_EXAMPLE]}
    )

    id: uuid.UUID
    customer: str
    currency: str
    total_cents: int
    status: str
    issued_at: datetime
    lines: list[InvoiceLineOut]


class InvoicePage(BaseModel):
    """A page of invoices, newest first."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [_INVOICE_EXAMPLE], "limit": 20}]}
    )

    items: list[InvoiceOut]
    limit: int
