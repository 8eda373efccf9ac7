"""Creating and reading bookings."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app.exceptions import BookingNotFoundError
from app.models import Booking, Guest
from app.repositories import bookings as repo
from app.repositories.messaging import enqueue
from app.schemas.bookings import BookingList, BookingRequest, BookingView
from app.schemas.events import BookingRequestedEvent


async def request_booking(
    session: AsyncSession, request: BookingRequest, topic: str
) -> BookingView:
    """Store a pending booking and enqueue ``booking.requested`` in one transaction.

    Args:
        session: The request's transactional session.
        request: The validated body.
        topic: Topic of booking events.

    Returns:
        The stored booking.
    """
    booking = Booking(
        room=request.room,
        check_in=request.check_in,
        check_out=request.check_out,
        state="pending",
        guests=[Guest(full_name=g.full_name) for g in request.guests],
    )
    stored = await repo.insert_booking(session, booking)
    event = BookingRequestedEvent(booking_id=stored.id, room=stored.room)
    enqueue(session, topic, str(stored.id), event.model_dump(mode="json"))
    return BookingView.model_validate(stored)


async def booking_by_id(session: AsyncSession, booking_id: uuid.UUID) -> BookingView:
    """Return one booking.

    Raises:
        BookingNotFoundError: If the id is unknown.
    """
    found = await repo.fetch_booking(session, booking_id)
    if found is None:
        raise BookingNotFoundError(f"no booking {booking_id}")
    return BookingView.model_validate(found)


async def bookings_page(session: AsyncSession, offset: int, limit: int) -> BookingList:
    """Return one page of bookings ordered by check-in."""
    rows = await repo.page_of_bookings(session, offset, limit)
    return BookingList(
        items=[BookingView.model_validate(r) for r in rows], offset=offset
    )
