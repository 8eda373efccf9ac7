"""Issuing and reading invoices."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app.exceptions import InvoiceNotFoundError
from app.models import Invoice, InvoiceLine
from app.repositories.invoices import InvoiceRepository
from app.repositories.outbox import OutboxRepository
from app.schemas.events import InvoiceIssuedEvent
from app.schemas.invoices import InvoiceCreate, InvoiceOut


class InvoiceService:
    """Use cases on invoices; the caller owns the transaction."""

    def __init__(self, session: AsyncSession, invoices_topic: str) -> None:
        """Store the collaborators."""
        self._invoices = InvoiceRepository(session)
        self._outbox = OutboxRepository(session)
        self._topic = invoices_topic

    async def issue(self, request: InvoiceCreate) -> InvoiceOut:
        """Store a new invoice and stage its ``invoice.issued`` event.

        Args:
            request: The validated request body.

        Returns:
            The stored invoice.
        """
        lines = [InvoiceLine(**line.model_dump()) for line in request.lines]
        total = sum(line.quantity * line.unit_price_cents for line in lines)
        invoice = Invoice(
            customer=request.customer,
            currency=request.currency,
            total_cents=total,
            status="issued",
            lines=lines,
        )
        stored = await self._invoices.add(invoice)
        event = InvoiceIssuedEvent(
            invoice_id=stored.id,
            customer=stored.customer,
            total_cents=stored.total_cents,
            currency=stored.currency,
        )
        self._outbox.stage(self._topic, str(stored.id), event.model_dump(mode="json"))
        return InvoiceOut.model_validate(stored)

    async def find(self, invoice_id: uuid.UUID) -> InvoiceOut:
        """Return one invoice.

        Raises:
            InvoiceNotFoundError: If no invoice has ``invoice_id``.
        """
        invoice = await self._invoices.get(invoice_id)
        if invoice is None:
            raise InvoiceNotFoundError(f"invoice {invoice_id} does not exist")
        return InvoiceOut.model_validate(invoice)

    async def recent(self, limit: int) -> list[InvoiceOut]:
        """Return up to ``limit`` invoices, newest first."""
        invoices = await self._invoices.recent(limit)
        return [InvoiceOut.model_validate(invoice) for invoice in invoices]
