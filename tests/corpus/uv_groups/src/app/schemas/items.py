"""HTTP schemas of stock items."""

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Sku = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9-]{3,32}$")]
ITEM_EXAMPLE: dict[str, Any] = {"sku": "BOLT-M8-40", "name": "Hex bolt M8x40", "warehouse": "BER1"}


class ItemIn(BaseModel):
    """Registration of a new SKU."""

    model_config = ConfigDict(json_schema_extra={"examples": [ITEM_EXAMPLE]})

    sku: Sku
    name: str = Field(min_length=2, max_length=120)
    warehouse: str = Field(min_length=2, max_length=12)


class ItemOut(BaseModel):
    """A stock item with its quantity on hand."""

    model_config = ConfigDict(json_schema_extra={"examples": [{**ITEM_EXAMPLE, "quantity": 0}]})

    sku: str
    name: str
    warehouse: str
    quantity: int


class ItemList(BaseModel):
    """A keyset page of items; pass ``next_after`` as ``after`` for the next page."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"items": [{**ITEM_EXAMPLE, "quantity": 4}], "next_after": None}]
        }
    )

    items: list[ItemOut]
    next_after: str | None


class ErrorOut(BaseModel):
    """Error body of every non-2xx answer."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"detail": "no item with SKU 'X-1'", "status": 404, "correlation_id": "9f..."}
            ]
        }
    )

    detail: str | list[dict[str, object]]
    status: int
    correlation_id: str | None = None


class ProbeOut(BaseModel):
    """Health probe answer."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"healthy": True}]})

    healthy: bool
