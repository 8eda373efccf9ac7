"""Persistence of invoices."""

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Invoice


class InvoiceRepository:
    """Reads and writes invoices within the caller's session."""

    def __init__(self, session: AsyncSession) -> None:
        """Store the collaborators."""
        self._session = session

    async def add(self, invoice: Invoice) -> Invoice:
        """Stage ``invoice`` and flush it so its id and defaults are set."""
        self._session.add(invoice)
        await self._session.flush()
        await self._session.refresh(invoice)
        return invoice

    async def get(self, invoice_id: uuid.UUID) -> Invoice | None:
        """Return the invoice with ``invoice_id``, or None."""
        return await self._session.get(Invoice, invoice_id)

    async def recent(self, limit: int) -> list[Invoice]:
        """Return up to ``limit`` invoices, newest first."""
        query = select(Invoice).order_by(Invoice.issued_at.desc()).limit(limit)
        return list((await self._session.scalars(query)).all())
