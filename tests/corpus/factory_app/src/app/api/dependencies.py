"""Request-scoped dependencies: the transaction and the services."""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.config import Settings
from app.services.invoicing import InvoiceService


async def db_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request: commit on success, roll back on error.

    Args:
        request: The current request; its app holds the session factory.

    Yields:
        The request's session.
    """
    sessions: async_sessionmaker[AsyncSession] = request.app.state.sessions
    async with sessions() as session:
        try:
            yield session
            await session.commit()
        except Exception:
            await session.rollback()
            raise


def invoice_service(
    request: Request, session: Annotated[AsyncSession, Depends(db_session)]
) -> InvoiceService:
    """Build the invoice service for this request."""
    settings: Settings = request.app.state.settings
    return InvoiceService(session, settings.invoices_topic)


Invoices = Annotated[InvoiceService, Depends(invoice_service)]
