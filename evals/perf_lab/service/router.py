"""The HTTP layer: ``GET /items/{item_id}`` with the :class:`ItemOut` response model."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from sqlalchemy.ext.asyncio import AsyncSession  # type: ignore[import-not-found, unused-ignore]

from evals.perf_lab.service.entities import ItemOut
from evals.perf_lab.service.services import ItemNotFoundError, ItemService

HTTP_NOT_FOUND = 404
router = APIRouter(prefix="/items", tags=["items"])


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request, from the app's session factory."""
    async with request.app.state.sessionmaker() as session:
        yield session


def get_service(
    request: Request, session: Annotated[AsyncSession, Depends(get_session)]
) -> ItemService:
    """The item service over the request's session, with the app's choices."""
    return ItemService(session, request.app.state.choices)


@router.get("/{item_id}", response_model=ItemOut)
async def read_item(item_id: int, service: Annotated[ItemService, Depends(get_service)]) -> object:
    """One item by id (404 when there is none)."""
    try:
        return await service.get_item(item_id)
    except ItemNotFoundError as exc:
        raise HTTPException(HTTP_NOT_FOUND, "item not found") from exc
