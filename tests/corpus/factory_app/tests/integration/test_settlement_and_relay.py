"""Settlement, idempotency and the outbox relay against PostgreSQL."""

import asyncio
import uuid
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.database import unit_of_work
from app.exceptions import (
    InvoiceAlreadyPaidError,
    InvoiceNotFoundError,
    PublishError,
)
from app.schemas.events import PaymentReceivedEvent
from app.schemas.invoices import InvoiceCreate, InvoiceLineIn, InvoiceOut
from app.services.invoicing import InvoiceService
from app.services.outbox_relay import OutboxRelay
from app.services.settlement import SettlementService


class RecordingPublisher:
    def __init__(self, fail: bool = False) -> None:
        self.sent: list[tuple[str, str, dict[str, Any]]] = []
        self.fail = fail

    async def publish(self, topic: str, key: str, payload: dict[str, Any]) -> None:
        if self.fail:
            raise PublishError("broker down")
        self.sent.append((topic, key, payload))


async def _issue(sessions: async_sessionmaker[AsyncSession]) -> InvoiceOut:
    request = InvoiceCreate(
        customer="Globex",
        currency="USD",
        lines=[InvoiceLineIn(description="Widgets", quantity=2, unit_price_cents=700)],
    )
    async with unit_of_work(sessions) as session:
        return await InvoiceService(session, "invoices.v1").issue(request)


def _payment(invoice_id: uuid.UUID) -> PaymentReceivedEvent:
    return PaymentReceivedEvent(
        event_id=uuid.uuid4(),
        event_type="payment.received",
        invoice_id=invoice_id,
        amount_cents=1400,
    )


async def test_payment_settles_once(sessions: async_sessionmaker[AsyncSession]) -> None:
    invoice = await _issue(sessions)
    settlement = SettlementService(sessions)
    event = _payment(invoice.id)
    assert await settlement.apply(event) is True
    assert await settlement.apply(event) is False
    async with unit_of_work(sessions) as session:
        stored = await InvoiceService(session, "t").find(invoice.id)
    assert stored.status == "paid"
    with pytest.raises(InvoiceAlreadyPaidError):
        await settlement.apply(_payment(invoice.id))


async def test_payment_for_unknown_invoice(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    with pytest.raises(InvoiceNotFoundError):
        await SettlementService(sessions).apply(_payment(uuid.uuid4()))


async def test_relay_publishes_outbox(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    invoice = await _issue(sessions)
    publisher = RecordingPublisher()
    relay = OutboxRelay(sessions, publisher, batch_size=500)
    assert await relay.relay_batch() >= 1
    assert (("invoices.v1", str(invoice.id))) in [s[:2] for s in publisher.sent]
    assert await relay.relay_batch() == 0


async def test_relay_keeps_messages_when_send_fails(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await _issue(sessions)
    assert (
        await OutboxRelay(sessions, RecordingPublisher(fail=True), 10).relay_batch()
        == 0
    )
    publisher = RecordingPublisher()
    stop = asyncio.Event()
    task = asyncio.create_task(OutboxRelay(sessions, publisher, 10).run(stop, 0.01))
    await asyncio.sleep(0.3)
    stop.set()
    await task
    assert publisher.sent
