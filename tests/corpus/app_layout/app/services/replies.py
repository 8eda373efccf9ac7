"""Applying customer replies received from the e-mail gateway."""

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from app.exceptions import TicketNotFoundError
from app.repositories.processed_events import ProcessedEventRepository
from app.repositories.tickets import TicketRepository
from app.schemas.events import ReplyReceivedEvent

LOG = logging.getLogger(__name__)


class ReplyService:
    """Adds a reply to its ticket exactly once per event id."""

    def __init__(self, session: AsyncSession) -> None:
        self._tickets = TicketRepository(session)
        self._ledger = ProcessedEventRepository(session)

    async def apply(self, event: ReplyReceivedEvent) -> bool:
        """Record the reply; False when the event was already processed.

        Raises:
            TicketNotFoundError: If the reply names an unknown ticket.
        """
        if not await self._ledger.claim(event.event_id, event.event_type):
            LOG.info("duplicate event skipped", extra={"fields": _ids(event)})
            return False
        ticket = await self._tickets.get(event.ticket_id)
        if ticket is None:
            raise TicketNotFoundError(f"ticket {event.ticket_id} does not exist")
        await self._tickets.add_comment(ticket, event.author, event.body)
        ticket.status = "awaiting_agent"
        LOG.info("reply applied", extra={"fields": _ids(event)})
        return True


def _ids(event: ReplyReceivedEvent) -> dict[str, str]:
    return {"event_id": str(event.event_id), "ticket_id": str(event.ticket_id)}
