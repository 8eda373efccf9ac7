"""Service rules with the repositories mocked out."""

import uuid
from unittest.mock import AsyncMock, MagicMock

import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from app.exceptions import DependencyUnavailableError, TicketNotFoundError
from app.models import Ticket
from app.schemas.tickets import Priority, TicketCreate
from app.services.health import check_database
from app.services.tickets import TicketService


def _service() -> tuple[TicketService, AsyncMock, AsyncMock]:
    tickets, outbox = AsyncMock(), AsyncMock()
    tickets.add.side_effect = lambda ticket: ticket
    return TicketService(tickets, outbox, "tickets.v1"), tickets, outbox


async def test_opening_a_ticket_queues_an_event() -> None:
    service, _, outbox = _service()
    request = TicketCreate(title="Broken link", requester="ana@example.com")
    ticket = await service.open_ticket(request)
    assert ticket.priority == Priority.NORMAL.value
    topic, key, payload = outbox.append.await_args.args
    assert topic == "tickets.v1"
    assert payload["event_type"] == "ticket.opened"
    assert key == str(payload["ticket_id"])


async def test_an_unknown_ticket_raises_not_found() -> None:
    service, tickets, _ = _service()
    tickets.get.return_value = None
    with pytest.raises(TicketNotFoundError):
        await service.ticket(uuid.uuid4())


async def test_known_tickets_are_returned() -> None:
    service, tickets, _ = _service()
    found = Ticket(title="x")
    tickets.get.return_value = found
    tickets.page.return_value = [found]
    assert await service.ticket(uuid.uuid4()) is found
    assert await service.tickets(10, 0, None) == [found]


def test_in_session_builds_repositories() -> None:
    service = TicketService.in_session(MagicMock(), "t.v1")
    assert isinstance(service, TicketService)


async def test_an_unreachable_database_is_reported() -> None:
    engine = create_async_engine("postgresql+asyncpg://u:p@127.0.0.1:9/none")
    with pytest.raises(DependencyUnavailableError):
        await check_database(engine)
    await engine.dispose()
