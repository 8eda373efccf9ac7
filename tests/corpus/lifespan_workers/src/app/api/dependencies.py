"""Dependencies shared by the routers."""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.database import session_scope
from app.services.catalog import ProductCatalog


async def transactional_session(request: Request) -> AsyncIterator[AsyncSession]:
    """Yield the request's session; committed on success, rolled back on error."""
    async with session_scope(request.app.state.sessions) as session:
        yield session


def product_catalog(
    request: Request, session: Annotated[AsyncSession, Depends(transactional_session)]
) -> ProductCatalog:
    """The product use cases bound to this request's transaction."""
    return ProductCatalog(session, request.app.state.settings.inventory_topic)


Catalog = Annotated[ProductCatalog, Depends(product_catalog)]
