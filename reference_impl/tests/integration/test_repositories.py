"""Repositories against real PostgreSQL; each test is rolled back."""

from __future__ import annotations

import uuid
from dataclasses import fields
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.models import Order, OrderItem, OrderStatus, OutboxEvent
from app.repositories.order_views import (
    BY_ID,
    LINE_COLUMNS,
    ORDER_COLUMNS,
    OrderLine,
    OrderView,
    OrderViewRepository,
)
from app.repositories.orders import NewOrder, OrderQuery, OrderRepository
from app.repositories.outbox import OutboxRepository
from app.repositories.processed_events import ProcessedEventRepository

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


async def _add(session: AsyncSession, order: Order) -> Order:
    """Store a fixture order through the ORM."""
    session.add(order)
    await session.flush()
    return order


async def _views(session: AsyncSession) -> OrderViewRepository:
    """The read model on the driver connection of the session's connection."""
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    return OrderViewRepository(raw.driver_connection)


async def test_add_and_get_round_trip(
    db_session: AsyncSession, customer_id: str
) -> None:
    repository = OrderRepository(db_session)
    created = await _add(db_session, _order(customer_id))
    loaded = await repository.get(created.id, for_update=True)
    assert loaded is not None
    assert loaded.customer_id == customer_id
    assert [item.sku for item in loaded.items] == ["SKU-1"]
    assert loaded.created_at is not None


async def test_get_unknown_returns_none(db_session: AsyncSession) -> None:
    assert await OrderRepository(db_session).get(uuid.uuid4()) is None


def _new_order(customer_id: str) -> NewOrder:
    return NewOrder(
        id=uuid.uuid4(),
        customer_id=customer_id,
        status="PENDING",
        currency="EUR",
        total_amount=Decimal("6.00"),
        items=[
            OrderLine("B-2", 1, Decimal("3.50")),
            OrderLine("A-1", 2, Decimal("1.25")),
        ],
    )


async def test_create_and_get_view_round_trip(
    db_session: AsyncSession, customer_id: str
) -> None:
    repository = OrderRepository(db_session)
    new = _new_order(customer_id)
    order_id = new.id
    created = await repository.create(new)
    views = await _views(db_session)
    viewed = await views.get(order_id)
    assert viewed is not None
    assert viewed == created
    assert list(viewed.items) == list(new.items)
    assert [item.sku for item in created.items] == ["B-2", "A-1"]
    assert created.created_at is not None
    loaded = await repository.get(order_id)
    assert loaded is not None
    assert [(i.sku, i.quantity) for i in loaded.items] == [("B-2", 1), ("A-1", 2)]
    assert await views.get(uuid.uuid4()) is None


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
    new, event = _new_order(customer_id), _event()
    async with AsyncSession(engine) as session:
        await OrderRepository(session).create(new)
        await OutboxRepository(session).insert(event)
        await session.rollback()
    async with AsyncSession(engine) as session:
        assert await OrderRepository(session).get(new.id) is None
        assert await session.get(OutboxEvent, event.id) is None


async def test_search_filters_and_keyset(
    db_session: AsyncSession, customer_id: str
) -> None:
    repository = OrderRepository(db_session)
    orders = [await _add(db_session, _order(customer_id)) for _ in range(3)]
    await _add(db_session, _order(customer_id, OrderStatus.CANCELLED))
    await _add(db_session, _order(f"{customer_id}-other"))
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
    order = await _add(db_session, _order(customer_id))
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
    first = await _add(db_session, _order(customer_id))
    second = await _add(db_session, _order(customer_id))
    statuses = await repository.lock_statuses({first.id, second.id, uuid.uuid4()})
    assert statuses == {first.id: "PENDING", second.id: "PENDING"}
    assert await repository.lock_statuses(set()) == {}
    await repository.set_statuses({first.id: "CONFIRMED", second.id: "REJECTED"})
    await repository.set_statuses({})
    assert await repository.lock_statuses({first.id, second.id}) == {
        first.id: "CONFIRMED",
        second.id: "REJECTED",
    }


def test_read_model_columns_match_the_orm_models() -> None:
    order_fields = [f.name for f in fields(OrderView)]
    line_fields = [f.name for f in fields(OrderLine)]
    assert [c.key for c in ORDER_COLUMNS] == order_fields[:-1]
    assert order_fields[-1] == "items"
    assert [c.key for c in LINE_COLUMNS] == line_fields
    assert set(order_fields[:-1]) <= set(Order.__table__.columns.keys())
    assert set(line_fields) <= set(OrderItem.__table__.columns.keys())
    selected = [c.name for c in BY_ID.selected_columns]
    assert selected == order_fields[:-1] + line_fields
