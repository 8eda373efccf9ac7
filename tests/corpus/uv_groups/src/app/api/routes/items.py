"""Stock item endpoints."""

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from app.api.dependencies import Config, Session
from app.schemas.items import ErrorOut, ItemIn, ItemList, ItemOut
from app.services import stock

router = APIRouter(prefix="/items", tags=["items"])


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: {"model": ErrorOut, "description": "Error"} for code in codes}


@router.post(
    "",
    status_code=201,
    summary="Register an item",
    description="Registers a SKU in a warehouse (created on first use), quantity 0.",
    responses=_errors(409, 422),
)
async def register(body: ItemIn, session: Session, config: Config) -> ItemOut:
    """Register a SKU."""
    item = await stock.register_item(
        session, body.sku, body.name, body.warehouse, config.items_topic
    )
    return stock.as_view(item)


@router.get(
    "",
    summary="List items",
    description="Items ordered by SKU; keyset pagination with `after`.",
    responses=_errors(422),
)
async def list_items(
    session: Session,
    after: str | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
) -> ItemList:
    """List items."""
    items = [stock.as_view(i) for i in await stock.list_items(session, limit, after)]
    next_after = items[-1].sku if len(items) == limit else None
    return ItemList(items=items, next_after=next_after)


@router.get(
    "/{sku}",
    summary="Get an item",
    description="One item with its quantity on hand.",
    responses=_errors(404, 422),
)
async def get_item(sku: Annotated[str, Path(max_length=32)], session: Session) -> ItemOut:
    """Return one item."""
    return stock.as_view(await stock.find_item(session, sku))
