"""HTTP models of products."""

import uuid

from pydantic import BaseModel, ConfigDict, Field, JsonValue

EXAMPLE_PRODUCT: dict[str, JsonValue] = {
    "id": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "sku": "BOLT-M8-40",
    "name": "Hex bolt M8x40",
    "on_hand": 500,
}


class NewProduct(BaseModel):
    """Payload registering a product with its initial stock."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"sku": "BOLT-M8-40", "name": "Hex bolt M8x40", "on_hand": 500}]
        }
    )

    sku: str = Field(min_length=1, max_length=64, pattern=r"^[A-Z0-9-]+$")
    name: str = Field(min_length=1, max_length=200)
    on_hand: int = Field(ge=0)


class ProductOut(BaseModel):
    """A product with its current stock."""

    model_config = ConfigDict(
        from_attributes=True, json_schema_extra={"examples": [EXAMPLE_PRODUCT]}
    )

    id: uuid.UUID
    sku: str
    name: str
    on_hand: int


class ProductCollection(BaseModel):
    """Products in SKU order."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"data": [EXAMPLE_PRODUCT]}]})

    data: list[ProductOut]
