"""FastAPI dependencies."""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import AppSettings, load_settings
from app.core.database import SessionFactory


async def session_dependency() -> AsyncIterator[AsyncSession]:
    """A session inside ``session.begin()``: commits when the handler returns.

    Yields:
        The request's session; an exception rolls the transaction back.
    """
    async with SessionFactory() as session, session.begin():
        yield session


DbSession = Annotated[AsyncSession, Depends(session_dependency)]
Config = Annotated[AppSettings, Depends(load_settings)]
