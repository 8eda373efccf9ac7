"""Data access for items: the ORM entity, or a Core select of the needed columns."""

from __future__ import annotations

from sqlalchemy import select  # type: ignore[import-not-found, unused-ignore]
from sqlalchemy.ext.asyncio import AsyncSession  # type: ignore[import-not-found, unused-ignore]

from evals.perf_lab.service.entities import NEEDED_COLUMNS, Item


class ItemRepository:
    """Reads items through one session."""

    def __init__(self, session: AsyncSession, orm: bool) -> None:
        self._session = session
        self._orm = orm

    async def get(self, item_id: int) -> object | None:
        """The item ``item_id`` (an :class:`Item`, or a row of the needed columns), or None."""
        if self._orm:
            entity: Item | None = await self._session.get(Item, item_id)
            return entity
        query = select(*NEEDED_COLUMNS).where(Item.id == item_id)
        row: object | None = (await self._session.execute(query)).one_or_none()
        return row
