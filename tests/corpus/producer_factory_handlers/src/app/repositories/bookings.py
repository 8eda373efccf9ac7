"""Queries on bookings."""

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Booking


async def insert_booking(session: AsyncSession, booking: Booking) -> Booking:
    """Persist ``booking`` and load its generated columns."""
    session.add(booking)
    await session.flush()
    await session.refresh(booking)
    return booking


async def fetch_booking(session: AsyncSession, booking_id: uuid.UUID) -> Booking | None:
    """Return the booking or None."""
    return await session.get(Booking, booking_id)


async def page_of_bookings(
    session: AsyncSession, offset: int, limit: int
) -> list[Booking]:
    """Return bookings ordered by check-in date."""
    query = (
        select(Booking)
        .order_by(Booking.check_in, Booking.id)
        .offset(offset)
        .limit(limit)
    )
    return list((await session.scalars(query)).all())
