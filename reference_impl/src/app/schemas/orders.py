"""Request and response models of the orders API."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainValidator, WithJsonSchema
from pydantic.config import JsonDict

# At most 999,999.99 a unit: 100 items x 10,000 units x that price still fits
# the numeric(14,2) order total. Prices are decimal strings (no float rounding).
MAX_UNIT_PRICE = Decimal("999999.99")
PRICE_PATTERN = r"^[0-9]{1,6}(\.[0-9]{1,2})?$"
_PRICE = re.compile(PRICE_PATTERN[1:-1])
# Printable text: no NUL or other control characters (PostgreSQL rejects NUL).
TEXT_PATTERN = r"^[^\x00-\x1F\x7F]*$"
# What ``encode_cursor`` produces: unpadded URL-safe base64, about 110
# characters; the bound keeps decoding cheap and JSON nesting shallow.
CURSOR_PATTERN = r"^[A-Za-z0-9_-]*$"
MAX_CURSOR_LENGTH = 256


def parse_price(value: object) -> Decimal:
    """Validate a unit price: a decimal string with at most two decimals.

    Args:
        value: The input (a ``str`` from JSON; a ``Decimal`` from Python code).

    Returns:
        The price.

    Raises:
        ValueError: When it is not a decimal string within the bounds.
    """
    text = f"{value:f}" if isinstance(value, Decimal) else value
    if not isinstance(text, str) or _PRICE.fullmatch(text) is None:
        raise ValueError(
            "must be a decimal string from 0 to 999999.99 with at most two decimals"
        )
    return Decimal(text)


Money = Annotated[
    Decimal,
    PlainValidator(parse_price),
    WithJsonSchema(
        {"type": "string", "pattern": PRICE_PATTERN, "examples": ["19.99"]},
        mode="validation",
    ),
]
Text = Annotated[str, Field(min_length=1, max_length=64, pattern=TEXT_PATTERN)]
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

    sku: Text = Field(description="Stock keeping unit.")
    quantity: int = Field(gt=0, le=10_000, description="Units ordered.")
    unit_price: Money = Field(
        description="Price of one unit, a decimal string (at most 999999.99)."
    )


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

    customer_id: Text
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

    customer_id: str | None = Field(default=None, pattern=TEXT_PATTERN)
    status: StatusName | None = None
    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(
        default=None,
        max_length=MAX_CURSOR_LENGTH,
        pattern=CURSOR_PATTERN,
        description="`next_cursor` of the previous page, unchanged.",
    )
