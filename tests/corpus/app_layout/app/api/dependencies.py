"""Request-scoped dependencies, resolved from the resources the lifespan opened."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, cast

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.core.config import Settings
from app.core.database import SessionFactory, transaction
from app.services.tickets import TicketService


@dataclass(frozen=True)
class Resources:
    """What the lifespan opens once and every request shares."""

    settings: Settings
    engine: AsyncEngine
    sessions: SessionFactory


def get_resources(request: Request) -> Resources:
    """Return the resources stored on the application by its lifespan."""
    return cast(Resources, request.app.state.resources)


ResourcesDep = Annotated[Resources, Depends(get_resources)]


async def get_session(resources: ResourcesDep) -> AsyncIterator[AsyncSession]:
    """One transaction per request: committed on success, rolled back on error."""
    async with transaction(resources.sessions) as session:
        yield session


def get_ticket_service(
    session: Annotated[AsyncSession, Depends(get_session)], resources: ResourcesDep
) -> TicketService:
    """Build the ticket service on the request's session."""
    return TicketService.in_session(session, resources.settings.ticket_events_topic)


TicketServiceDep = Annotated[TicketService, Depends(get_ticket_service)]
