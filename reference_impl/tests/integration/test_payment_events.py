"""PaymentEventService's set-based batch path against real PostgreSQL."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.database import create_session_factory, session_scope
from app.kafka.consumer import decode_event
from app.models import Order, OrderItem, OrderStatus, OutboxEvent
from app.schemas.events import EventEnvelope, PaymentPayload
from app.services.payment_events import PaymentEventService, ProcessingOutcome
from tests.support.kafka import encode, payment_event, succeeded

pytestmark = pytest.mark.integration

ORDERS_TOPIC = "orders.v1.batch-test"


async def _pending_order(engine: AsyncEngine, customer_id: str) -> uuid.UUID:
    order = Order(
        id=uuid.uuid4(),
        customer_id=customer_id,
        status=OrderStatus.PENDING.value,
        currency="EUR",
        total_amount=Decimal("1.00"),
        items=[OrderItem(sku="A", quantity=1, unit_price=Decimal("1.00"))],
    )
    async with session_scope(create_session_factory(engine)) as session:
        session.add(order)
    return order.id


def _decoded(event: dict[str, Any]) -> tuple[EventEnvelope, PaymentPayload]:
    envelope, payload = decode_event(encode(event))
    assert payload is not None
    return envelope, payload


async def _state(engine: AsyncEngine, *ids: uuid.UUID) -> dict[str, Any]:
    async with create_session_factory(engine)() as session:
        rows = await session.execute(
            select(Order.id, Order.status).where(Order.id.in_(ids))
        )
        statuses = {row.id: row.status for row in rows}
        keys = await session.scalars(
            select(OutboxEvent.key).where(OutboxEvent.key.in_([str(i) for i in ids]))
        )
        return {"statuses": statuses, "events": sorted(keys.all())}


async def test_batch_applies_each_event_once(
    engine: AsyncEngine, customer_id: str
) -> None:
    paid = await _pending_order(engine, customer_id)
    declined = await _pending_order(engine, customer_id)
    success = _decoded(succeeded(str(paid)))
    failure = _decoded(
        payment_event(
            "PaymentFailed",
            {"payment_id": "p-2", "order_id": str(declined), "reason": "declined"},
        )
    )
    service = PaymentEventService(
        session_factory=create_session_factory(engine), orders_topic=ORDERS_TOPIC
    )
    outcomes = await service.handle_batch(
        events=[success, success, failure], topic="payments.v1.batch-test"
    )
    redelivered = await service.handle_batch(
        events=[success], topic="payments.v1.batch-test"
    )
    applied, duplicate = ProcessingOutcome.APPLIED, ProcessingOutcome.DUPLICATE
    assert outcomes == [applied, duplicate, applied]
    assert redelivered == [duplicate]
    assert await _state(engine, paid, declined) == {
        "statuses": {paid: "CONFIRMED", declined: "REJECTED"},
        "events": sorted([str(paid), str(declined)]),
    }
