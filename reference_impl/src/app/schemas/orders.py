"""Request and response models of the orders API."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

Money = Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=2)]
# A Literal (not the enum) keeps the schema inline with its example.
StatusName = Literal["PENDING", "CONFIRMED", "REJECTED", "CANCELLED"]

_ITEM_EXAMPLE: JsonDict = {"sku": "SKU-123", "quantity": 2, "unit_price": "19.99"}
_ORDER_EXAMPLE: JsonDict = {
    "id": "6f1c2a9e-2b43-4c8a-9a57-3f0d1c2e4b5a",
    "customer_id": "cust-42",
    "status": "PENDING",
    "currency": "EUR",
    "total_amount": "39.98",
    "items": [_ITEM_EXAMPLE],
    "created_at": "2025-01-01T12:00:00Z",
    "updated_at": "2025-01-01T12:00:00Z",
}


class OrderItemIn(BaseModel):
    """A line item in a create-order request."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [_ITEM_EXAMPLE]}
    )

    sku: str = Field(min_length=1, max_length=64, description="Stock keeping unit.")
    quantity: int = Field(gt=0, le=10_000, description="Units ordered.")
    unit_price: Money = Field(description="Price of one unit.")


class OrderCreate(BaseModel):
    """Body of ``POST /orders``."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"customer_id": "cust-42", "currency": "EUR", "items": [_ITEM_EXAMPLE]}
            ]
        },
    )

    customer_id: str = Field(min_length=1, max_length=64)
    currency: str = Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code.")
    items: list[OrderItemIn] = Field(min_length=1, max_length=100)


class OrderItemOut(BaseModel):
    """A line item as stored."""

    model_config = ConfigDict(
        from_attributes=True, json_schema_extra={"examples": [_ITEM_EXAMPLE]}
    )

    sku: str
    quantity: int
    unit_price: Decimal


class OrderOut(BaseModel):
    """An order as returned by the API."""

    model_config = ConfigDict(
        from_attributes=True, json_schema_extra={"examples": [_ORDER_EXAMPLE]}
    )

    id: uuid.UUID
    customer_id: str
    status: StatusName = Field(examples=["PENDING"])
    currency: str
    total_amount: Decimal
    items: list[OrderItemOut]
    created_at: datetime
    updated_at: datetime


class OrderPage(BaseModel):
    """One page of orders, newest first, with a keyset cursor."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"items": [_ORDER_EXAMPLE], "next_cursor": "eyJjIjoi..."}]
        }
    )

    items: list[OrderOut]
    next_cursor: str | None = Field(
        default=None, description="Pass as `cursor` to get the next page."
    )


class OrderFilters(BaseModel):
    """Validated filters of the list-orders query."""

    customer_id: str | None = None
    status: StatusName | None = None
    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = None
