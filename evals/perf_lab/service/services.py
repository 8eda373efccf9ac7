"""The item service: the read's transaction boundary and the optional extra validation."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession  # type: ignore[import-not-found, unused-ignore]

from evals.perf_lab.service.entities import ItemOut
from evals.perf_lab.service.repository import ItemRepository
from evals.perf_lab.variants import Choices


class ItemNotFoundError(LookupError):
    """No item has the requested id."""


class ItemService:
    """Use cases on items (only the read is measured)."""

    def __init__(self, session: AsyncSession, choices: Choices) -> None:
        self._session = session
        self._repository = ItemRepository(session, choices.orm)
        self._choices = choices

    async def get_item(self, item_id: int) -> object:
        """The item ``item_id``, validated into :class:`ItemOut` when validating twice.

        Raises:
            ItemNotFoundError: If there is no such item.
        """
        if self._choices.transaction:
            async with self._session.begin():
                found = await self._repository.get(item_id)
        else:
            found = await self._repository.get(item_id)
        if found is None:
            raise ItemNotFoundError(item_id)
        return ItemOut.model_validate(found) if self._choices.validations > 1 else found
