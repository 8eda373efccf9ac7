"""Warehouse and stock item queries."""

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import StockItem, Warehouse


async def warehouse_by_code(session: AsyncSession, code: str) -> Warehouse:
    """Return the warehouse with ``code``, creating it on first use."""
    found = await session.scalar(select(Warehouse).where(Warehouse.code == code))
    if found is None:
        found = Warehouse(code=code)
        session.add(found)
        await session.flush()
    return found


async def item_by_sku(session: AsyncSession, sku: str, *, lock: bool = False) -> StockItem | None:
    """The stock item with ``sku`` (row-locked when ``lock``), or None."""
    query = select(StockItem).where(StockItem.sku == sku)
    if lock:
        query = query.with_for_update(of=StockItem)
    return await session.scalar(query)


async def items_page(session: AsyncSession, limit: int, after: str | None) -> Sequence[StockItem]:
    """Items ordered by SKU, keyset-paginated after ``after``."""
    query = select(StockItem).order_by(StockItem.sku).limit(limit)
    if after is not None:
        query = query.where(StockItem.sku > after)
    return (await session.scalars(query)).all()


async def insert_item(session: AsyncSession, item: StockItem) -> None:
    """Stage a new item and flush it (so duplicates fail here)."""
    session.add(item)
    await session.flush()
