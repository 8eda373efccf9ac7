"""Opening and reading tickets."""

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from app.exceptions import TicketNotFoundError
from app.models import Ticket
from app.repositories.outbox import OutboxRepository
from app.repositories.tickets import TicketRepository
from app.schemas.events import TicketOpenedEvent
from app.schemas.tickets import TicketCreate


class TicketService:
    """Use cases of the ticket API."""

    def __init__(
        self, tickets: TicketRepository, outbox: OutboxRepository, topic: str
    ) -> None:
        self._tickets = tickets
        self._outbox = outbox
        self._topic = topic

    @classmethod
    def in_session(cls, session: AsyncSession, topic: str) -> "TicketService":
        """Build the service over repositories sharing ``session``."""
        return cls(TicketRepository(session), OutboxRepository(session), topic)

    async def open_ticket(self, request: TicketCreate) -> Ticket:
        """Persist a new ticket and its ``ticket.opened`` event atomically."""
        ticket = await self._tickets.add(
            Ticket(
                id=uuid.uuid4(),
                title=request.title,
                description=request.description,
                priority=request.priority.value,
                requester=request.requester,
                status="open",
            )
        )
        event = TicketOpenedEvent(
            ticket_id=ticket.id, priority=ticket.priority, requester=ticket.requester
        )
        await self._outbox.append(
            self._topic, str(ticket.id), event.model_dump(mode="json")
        )
        return ticket

    async def ticket(self, ticket_id: uuid.UUID) -> Ticket:
        """Return one ticket with its comments.

        Raises:
            TicketNotFoundError: If no ticket has this id.
        """
        found = await self._tickets.get(ticket_id)
        if found is None:
            raise TicketNotFoundError(f"ticket {ticket_id} does not exist")
        return found

    async def tickets(
        self, limit: int, offset: int, status: str | None
    ) -> Sequence[Ticket]:
        """Return one page of tickets."""
        return await self._tickets.page(limit, offset, status)
