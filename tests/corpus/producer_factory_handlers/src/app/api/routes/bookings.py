"""Booking endpoints."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, status

from app.api.dependencies import Config, DbSession
from app.schemas.api import ProblemBody
from app.schemas.bookings import BookingList, BookingRequest, BookingView
from app.services import bookings

router = APIRouter(prefix="/bookings", tags=["bookings"])

ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ProblemBody, "description": "Unknown booking"},
    422: {"model": ProblemBody, "description": "Invalid input"},
}


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=BookingView,
    summary="Request a booking",
    description="Creates a pending booking and queues a `booking.requested` event.",
    responses={422: ERRORS[422]},
)
async def create_booking(
    body: BookingRequest, session: DbSession, cfg: Config
) -> BookingView:
    """Create a booking."""
    return await bookings.request_booking(session, body, cfg.booking_events_topic)


@router.get(
    "",
    response_model=BookingList,
    summary="List bookings",
    description="Bookings ordered by check-in date, paginated by offset.",
    responses={422: ERRORS[422]},
)
async def list_bookings(
    session: DbSession,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
) -> BookingList:
    """Return a page of bookings."""
    return await bookings.bookings_page(session, offset, limit)


@router.get(
    "/{booking_id}",
    response_model=BookingView,
    summary="Get a booking",
    description="One booking and its guests.",
    responses=ERRORS,
)
async def read_booking(booking_id: uuid.UUID, session: DbSession) -> BookingView:
    """Return one booking."""
    return await bookings.booking_by_id(session, booking_id)
