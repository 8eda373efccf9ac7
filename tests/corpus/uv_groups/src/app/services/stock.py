"""Registering items and applying stock adjustments."""

from collections.abc import Sequence

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from app.exceptions import DuplicateSku, InsufficientStock, UnknownSku
from app.models import StockItem
from app.repositories import messages, stock
from app.schemas.events import ItemRegistered, StockAdjusted
from app.schemas.items import ItemOut

log = structlog.get_logger(__name__)


def as_view(item: StockItem) -> ItemOut:
    """The API representation of ``item``."""
    return ItemOut(
        sku=item.sku, name=item.name, warehouse=item.warehouse.code, quantity=item.quantity
    )


async def register_item(
    session: AsyncSession, sku: str, name: str, warehouse: str, topic: str
) -> StockItem:
    """Create an item and queue ``item.registered`` in the same transaction.

    Raises:
        DuplicateSku: If the SKU exists already.
    """
    if await stock.item_by_sku(session, sku) is not None:
        raise DuplicateSku(sku)
    place = await stock.warehouse_by_code(session, warehouse)
    item = StockItem(sku=sku, name=name, quantity=0, warehouse=place)
    await stock.insert_item(session, item)
    event = ItemRegistered(sku=sku, name=name, warehouse=warehouse)
    await messages.enqueue(session, topic, sku, event.model_dump_json())
    return item


async def find_item(session: AsyncSession, sku: str) -> StockItem:
    """The item with ``sku``.

    Raises:
        UnknownSku: If there is none.
    """
    item = await stock.item_by_sku(session, sku)
    if item is None:
        raise UnknownSku(sku)
    return item


async def list_items(session: AsyncSession, limit: int, after: str | None) -> Sequence[StockItem]:
    """One keyset page of items."""
    return await stock.items_page(session, limit, after)


async def adjust(session: AsyncSession, event: StockAdjusted) -> bool:
    """Apply an adjustment once; False when the event was seen before.

    Raises:
        UnknownSku: If the SKU does not exist.
        InsufficientStock: If the adjustment would make the quantity negative.
    """
    if not await messages.first_delivery(session, event.event_id):
        log.info("adjustment already handled", event_id=event.event_id)
        return False
    item = await stock.item_by_sku(session, event.sku, lock=True)
    if item is None:
        raise UnknownSku(event.sku)
    if item.quantity + event.delta < 0:
        raise InsufficientStock(event.sku, item.quantity, event.delta)
    item.quantity += event.delta
    return True
