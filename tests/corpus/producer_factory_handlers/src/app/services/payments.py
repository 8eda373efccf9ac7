"""Confirming bookings when their payment is captured."""

import logging

from app.core.database import transaction
from app.exceptions import BookingNotFoundError, BookingStateError
from app.repositories.bookings import fetch_booking
from app.repositories.messaging import remember_event
from app.schemas.events import PaymentCapturedEvent

log = logging.getLogger(__name__)


async def confirm_paid_booking(event: PaymentCapturedEvent) -> bool:
    """Confirm the booking of ``event`` unless this event was handled before.

    Returns:
        False for a duplicate delivery.

    Raises:
        BookingNotFoundError: If the booking does not exist.
        BookingStateError: If the booking is not pending.
    """
    async with transaction() as session:
        if not await remember_event(session, event.event_id):
            log.info("duplicate event ignored", extra={"event_id": str(event.event_id)})
            return False
        booking = await fetch_booking(session, event.booking_id)
        if booking is None:
            raise BookingNotFoundError(f"no booking {event.booking_id}")
        if booking.state != "pending":
            raise BookingStateError(f"booking {booking.id} is {booking.state}")
        booking.state = "confirmed"
    return True
