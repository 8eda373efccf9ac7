"""Payments confirm bookings once; the outbox drains through the producer."""

import asyncio
import json
import uuid
from typing import Any

import pytest
from sqlalchemy import delete

from app.core.database import transaction
from app.exceptions import BookingNotFoundError, BookingStateError, DeliveryError
from app.kafka.handlers import handle_message
from app.kafka.producer import EventProducer
from app.models import OutboxEntry
from app.schemas.bookings import BookingRequest, BookingView, GuestIn
from app.services.bookings import booking_by_id, request_booking
from app.services.outbox import drain_once, drain_until
from tests.conftest import FakeKafkaProducer


async def _booking() -> BookingView:
    request = BookingRequest(
        room="12",
        check_in="2026-09-01",
        check_out="2026-09-03",
        guests=[GuestIn(full_name="Alan Turing")],
    )
    async with transaction() as session:
        return await request_booking(session, request, "bookings.v1")


def _payment(booking_id: uuid.UUID, event_id: uuid.UUID | None = None) -> bytes:
    body = {
        "event_id": str(event_id or uuid.uuid4()),
        "type": "payment.captured",
        "booking_id": str(booking_id),
    }
    return json.dumps(body).encode()


async def test_payment_confirms_once(schema: None) -> None:
    booking = await _booking()
    event_id = uuid.uuid4()
    await handle_message(_payment(booking.id, event_id))
    await handle_message(_payment(booking.id, event_id))
    async with transaction() as session:
        assert (await booking_by_id(session, booking.id)).state == "confirmed"
    with pytest.raises(BookingStateError):
        await handle_message(_payment(booking.id))
    with pytest.raises(BookingNotFoundError):
        await handle_message(_payment(uuid.uuid4()))


class FailingSender:
    async def send(self, topic: str, key: str, body: dict[str, Any]) -> None:
        raise DeliveryError("down")


async def test_outbox_drains_in_order(
    schema: None, fake_producer_factory: type[FakeKafkaProducer]
) -> None:
    async with transaction() as session:
        await session.execute(delete(OutboxEntry))
    booking = await _booking()
    assert await drain_once(FailingSender(), 10) == 0
    producer = EventProducer("k", factory=fake_producer_factory)
    await producer.start()
    stop = asyncio.Event()
    task = asyncio.create_task(drain_until(producer, stop, 10, 0.01))
    await asyncio.sleep(0.2)
    stop.set()
    await task
    sent = fake_producer_factory.instances[0].sent
    assert [s[2] for s in sent] == [str(booking.id).encode()]
