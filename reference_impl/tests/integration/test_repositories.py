"""Repositories against real PostgreSQL; each test is rolled back."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.models import Order, OrderItem, OrderStatus, OutboxEvent
from app.repositories.orders import OrderQuery, OrderRepository
from app.repositories.outbox import OutboxRepository
from app.repositories.processed_events import ProcessedEventRepository
from app.schemas.orders import OrderCreate

pytestmark = pytest.mark.integration


def _order(customer_id: str, status: OrderStatus = OrderStatus.PENDING) -> Order:
    return Order(
        id=uuid.uuid4(),
        customer_id=customer_id,
        status=status.value,
        currency="EUR",
        total_amount=Decimal("10.00"),
        items=[OrderItem(sku="SKU-1", quantity=2, unit_price=Decimal("5.00"))],
    )


def _event(topic: str = "orders.v1.repo") -> OutboxEvent:
    event_id = uuid.uuid4()
    return OutboxEvent(
        id=event_id,
        topic=topic,
        key=str(uuid.uuid4()),
        event_type="OrderCreated",
        payload={"event_id": str(event_id)},
        correlation_id="corr-1",
    )


async def test_add_and_get_round_trip(
    db_session: AsyncSession, customer_id: str
) -> None:
    repository = OrderRepository(db_session)
    created = await repository.add(_order(customer_id))
    loaded = await repository.get(created.id, for_update=True)
    assert loaded is not None
    assert loaded.customer_id == customer_id
    assert [item.sku for item in loaded.items] == ["SKU-1"]
    assert loaded.created_at is not None


async def test_get_unknown_returns_none(db_session: AsyncSession) -> None:
    assert await OrderRepository(db_session).get(uuid.uuid4()) is None


def _create_request(customer_id: str) -> OrderCreate:
    return OrderCreate.model_validate(
        {
            "customer_id": customer_id,
            "currency": "EUR",
            "items": [
                {"sku": "B-2", "quantity": 1, "unit_price": "3.50"},
                {"sku": "A-1", "quantity": 2, "unit_price": "1.25"},
            ],
        }
    )


async def test_create_and_get_view_round_trip(
    db_session: AsyncSession, customer_id: str
) -> None:
    repository = OrderRepository(db_session)
    order_id = uuid.uuid4()
    created = await repository.create(
        order_id=order_id,
        status="PENDING",
        data=_create_request(customer_id),
        total=Decimal("6.00"),
    )
    viewed = await repository.get_view(order_id)
    assert viewed == created
    assert [item.sku for item in created.items] == ["B-2", "A-1"]
    assert created.created_at is not None
    loaded = await repository.get(order_id)
    assert loaded is not None
    assert [(i.sku, i.quantity) for i in loaded.items] == [("B-2", 1), ("A-1", 2)]
    assert await repository.get_view(uuid.uuid4()) is None


async def test_outbox_insert_writes_the_row(db_session: AsyncSession) -> None:
    event = _event()
    await OutboxRepository(db_session).insert(event)
    stored = await db_session.get(OutboxEvent, event.id)
    assert stored is not None
    assert (stored.payload, stored.correlation_id) == (event.payload, "corr-1")
    assert stored.created_at is not None


async def test_plain_inserts_share_the_session_transaction(
    engine: AsyncEngine, customer_id: str
) -> None:
    order_id, event = uuid.uuid4(), _event()
    async with AsyncSession(engine) as session:
        await OrderRepository(session).create(
            order_id=order_id,
            status="PENDING",
            data=_create_request(customer_id),
            total=Decimal("6.00"),
        )
        await OutboxRepository(session).insert(event)
        await session.rollback()
    async with AsyncSession(engine) as session:
        assert await OrderRepository(session).get_view(order_id) is None
        assert await session.get(OutboxEvent, event.id) is None


async def test_search_filters_and_keyset(
    db_session: AsyncSession, customer_id: str
) -> None:
    repository = OrderRepository(db_session)
    orders = [await repository.add(_order(customer_id)) for _ in range(3)]
    await repository.add(_order(customer_id, OrderStatus.CANCELLED))
    await repository.add(_order(f"{customer_id}-other"))
    pending = OrderQuery(limit=10, customer_id=customer_id, status="PENDING")
    first = await repository.search(pending)
    assert {o.id for o in first} == {o.id for o in orders}
    after = (first[0].created_at, first[0].id)
    rest = await repository.search(
        OrderQuery(limit=10, customer_id=customer_id, status="PENDING", after=after)
    )
    assert [o.id for o in rest] == [o.id for o in first[1:]]


async def test_save_updates_status(db_session: AsyncSession, customer_id: str) -> None:
    repository = OrderRepository(db_session)
    order = await repository.add(_order(customer_id))
    order.status = OrderStatus.CONFIRMED.value
    saved = await repository.save(order)
    assert saved.status == OrderStatus.CONFIRMED.value


async def _hide_committed_outbox_rows(session: AsyncSession) -> None:
    """Mark other tests' rows sent inside this (rolled back) transaction."""
    await session.execute(
        update(OutboxEvent)
        .where(OutboxEvent.sent_at.is_(None))
        .values(sent_at=func.now())
    )


async def test_outbox_claim_mark_release(db_session: AsyncSession) -> None:
    await _hide_committed_outbox_rows(db_session)
    repository = OutboxRepository(db_session)
    events = [_event() for _ in range(3)]
    for event in events:
        repository.add(event)
    await db_session.flush()
    token = uuid.uuid4()
    limit = len(events) - 1
    claimed = await repository.claim_batch(
        limit=limit, lease=timedelta(seconds=30), token=token
    )
    assert len(claimed) == limit
    assert all(row.lease_token == token for row in claimed)
    again = await repository.claim_batch(
        limit=10, lease=timedelta(seconds=30), token=uuid.uuid4()
    )
    assert [row.id for row in again] == [events[2].id]
    assert await repository.mark_sent([claimed[0].id], token=token) == 1
    assert await repository.mark_sent([claimed[1].id], token=uuid.uuid4()) == 0
    await repository.release([claimed[1].id], token=token, error="boom")
    assert await repository.count_unsent() == len(events) - 1


async def test_expired_lease_can_be_reclaimed(db_session: AsyncSession) -> None:
    await _hide_committed_outbox_rows(db_session)
    repository = OutboxRepository(db_session)
    repository.add(_event())
    await db_session.flush()
    first = await repository.claim_batch(
        limit=10, lease=timedelta(seconds=-1), token=uuid.uuid4()
    )
    first_attempts = first[0].attempts
    second = await repository.claim_batch(
        limit=10, lease=timedelta(seconds=30), token=uuid.uuid4()
    )
    assert [row.id for row in second] == [row.id for row in first]
    assert second[0].attempts == first_attempts + 1


async def test_processed_event_recorded_once(db_session: AsyncSession) -> None:
    repository = ProcessedEventRepository(db_session)
    event_id = uuid.uuid4()
    first = await repository.record(event_id=event_id, event_type="X", topic="t")
    second = await repository.record(event_id=event_id, event_type="X", topic="t")
    assert (first, second) == (True, False)


async def test_processed_events_recorded_in_bulk_once(db_session: AsyncSession) -> None:
    repository = ProcessedEventRepository(db_session)
    seen, new = uuid.uuid4(), uuid.uuid4()
    assert await repository.record_many([(seen, "X")], topic="t") == {seen}
    batch = [(seen, "X"), (new, "X"), (new, "X")]
    assert await repository.record_many(batch, topic="t") == {new}
    assert await repository.record_many([], topic="t") == set()


async def test_lock_and_set_statuses(
    db_session: AsyncSession, customer_id: str
) -> None:
    repository = OrderRepository(db_session)
    first = await repository.add(_order(customer_id))
    second = await repository.add(_order(customer_id))
    statuses = await repository.lock_statuses({first.id, second.id, uuid.uuid4()})
    assert statuses == {first.id: "PENDING", second.id: "PENDING"}
    assert await repository.lock_statuses(set()) == {}
    await repository.set_statuses({first.id: "CONFIRMED", second.id: "REJECTED"})
    await repository.set_statuses({})
    assert await repository.lock_statuses({first.id, second.id}) == {
        first.id: "CONFIRMED",
        second.id: "REJECTED",
    }
