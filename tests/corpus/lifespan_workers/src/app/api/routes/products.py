"""Product endpoints."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query

from app.api.dependencies import Catalog
from app.schemas.errors import ErrorEnvelope
from app.schemas.products import NewProduct, ProductCollection, ProductOut

router = APIRouter(prefix="/products", tags=["products"])

UNPROCESSABLE: dict[int | str, dict[str, Any]] = {
    422: {"model": ErrorEnvelope, "description": "Validation failed"}
}


@router.post(
    "",
    status_code=201,
    response_model=ProductOut,
    summary="Register a product",
    description="Adds a SKU with its initial stock and emits `product.registered`.",
    responses={
        409: {"model": ErrorEnvelope, "description": "SKU already registered"},
        **UNPROCESSABLE,
    },
)
async def register_product(body: NewProduct, catalog: Catalog) -> ProductOut:
    """Register a product."""
    return await catalog.register(body)


@router.get(
    "",
    response_model=ProductCollection,
    summary="List products",
    description="Products in SKU order.",
    responses=UNPROCESSABLE,
)
async def list_products(
    catalog: Catalog, limit: Annotated[int, Query(ge=1, le=200)] = 50
) -> ProductCollection:
    """List products."""
    return ProductCollection(data=await catalog.listing(limit))


@router.get(
    "/{product_id}",
    response_model=ProductOut,
    summary="Get a product",
    description="A product and its stock on hand.",
    responses={404: {"model": ErrorEnvelope, "description": "Unknown product"}, **UNPROCESSABLE},
)
async def get_product(product_id: uuid.UUID, catalog: Catalog) -> ProductOut:
    """Get a product."""
    return await catalog.get(product_id)
