"""Ticket endpoints."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, status

from app.api.dependencies import TicketServiceDep
from app.schemas.common import ErrorBody
from app.schemas.tickets import (
    TicketCreate,
    TicketDetail,
    TicketPage,
    TicketStatus,
    TicketView,
)

router = APIRouter(prefix="/tickets", tags=["tickets"])

INVALID: dict[int | str, dict[str, Any]] = {
    422: {"model": ErrorBody, "description": "The request is invalid."}
}
MISSING: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "No ticket has this id."}
}


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=TicketView,
    summary="Open a ticket",
    description="Stores the ticket and queues a `ticket.opened` event atomically.",
    responses=INVALID,
)
async def open_ticket(body: TicketCreate, service: TicketServiceDep) -> TicketView:
    """Open a ticket."""
    return TicketView.model_validate(await service.open_ticket(body))


@router.get(
    "",
    response_model=TicketPage,
    summary="List tickets",
    description="Returns tickets newest first, optionally filtered by status.",
    responses=INVALID,
)
async def list_tickets(
    service: TicketServiceDep,
    state: Annotated[TicketStatus | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> TicketPage:
    """List tickets."""
    found = await service.tickets(limit, offset, state.value if state else None)
    items = [TicketView.model_validate(ticket) for ticket in found]
    return TicketPage(items=items, limit=limit, offset=offset)


@router.get(
    "/{ticket_id}",
    response_model=TicketDetail,
    summary="Get a ticket",
    description="Returns one ticket with its conversation.",
    responses={**MISSING, **INVALID},
)
async def get_ticket(ticket_id: uuid.UUID, service: TicketServiceDep) -> TicketDetail:
    """Return one ticket."""
    return TicketDetail.model_validate(await service.ticket(ticket_id))
