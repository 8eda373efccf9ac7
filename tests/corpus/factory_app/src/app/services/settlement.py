"""Settling invoices from payment events, once per event."""

import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.database import unit_of_work
from app.exceptions import InvoiceAlreadyPaidError, InvoiceNotFoundError
from app.repositories.invoices import InvoiceRepository
from app.repositories.processed_events import ProcessedEventRepository
from app.schemas.events import PaymentReceivedEvent

logger = logging.getLogger(__name__)


class SettlementService:
    """Marks invoices paid; duplicates of an event are skipped."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        """Store the collaborators."""
        self._sessions = sessions

    async def apply(self, event: PaymentReceivedEvent) -> bool:
        """Apply one payment in its own transaction.

        Args:
            event: The validated payment event.

        Returns:
            False when the event had already been processed.

        Raises:
            InvoiceNotFoundError: If the invoice does not exist.
            InvoiceAlreadyPaidError: If the invoice was settled by another payment.
        """
        async with unit_of_work(self._sessions) as session:
            if not await ProcessedEventRepository(session).record(event.event_id):
                extra = {"event": str(event.event_id)}
                logger.info("duplicate payment event skipped", extra=extra)
                return False
            invoice = await InvoiceRepository(session).get(event.invoice_id)
            if invoice is None:
                raise InvoiceNotFoundError(f"invoice {event.invoice_id} does not exist")
            if invoice.status == "paid":
                raise InvoiceAlreadyPaidError(f"invoice {invoice.id} is already paid")
            invoice.status = "paid"
            return True
