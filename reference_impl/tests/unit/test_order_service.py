"""OrderService with mocked repositories."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from unittest.mock import MagicMock, create_autospec

import pytest

from app.exceptions import InvalidStateTransitionError, OrderNotFoundError
from app.models import Order, OrderItem, OrderStatus, OutboxEvent
from app.models.order import can_transition
from app.repositories.order_views import OrderView, OrderViewRepository
from app.repositories.orders import NewOrder, OrderRepository
from app.repositories.outbox import OutboxRepository
from app.schemas.orders import OrderCreate, OrderFilters, OrderOut
from app.services.orders import OrderReader, OrderService, PaymentResult
from app.services.pagination import decode_cursor, encode_cursor

TOPIC = "orders.v1"


def _order(status: OrderStatus = OrderStatus.PENDING, age_s: int = 0) -> Order:
    now = datetime(2025, 1, 1, tzinfo=UTC) - timedelta(seconds=age_s)
    return Order(
        id=uuid.uuid4(),
        customer_id="cust-1",
        status=status.value,
        currency="EUR",
        total_amount=Decimal("10.00"),
        items=[OrderItem(sku="A", quantity=1, unit_price=Decimal("10.00"))],
        created_at=now,
        updated_at=now,
    )


async def _created(order: NewOrder) -> OrderView:
    now = datetime(2025, 1, 1, tzinfo=UTC)
    return OrderView(
        id=order.id,
        customer_id=order.customer_id,
        status=order.status,
        currency=order.currency,
        total_amount=order.total_amount,
        created_at=now,
        updated_at=now,
        items=order.items,
    )


@pytest.fixture
def orders() -> MagicMock:
    repository: MagicMock = create_autospec(OrderRepository, instance=True)
    repository.save.side_effect = lambda order: order
    repository.get.return_value = None
    repository.create.side_effect = _created
    repository.search.return_value = []
    repository.lock_statuses.return_value = {}
    return repository


@pytest.fixture
def outbox() -> MagicMock:
    repository: MagicMock = create_autospec(OutboxRepository, instance=True)
    return repository


@pytest.fixture
def service(orders: MagicMock, outbox: MagicMock) -> OrderService:
    return OrderService(orders=orders, outbox=outbox, orders_topic=TOPIC)


def _staged(outbox: MagicMock) -> OutboxEvent:
    outbox.add.assert_called_once()
    event: OutboxEvent = outbox.add.call_args.args[0]
    return event


async def test_create_order_totals_items_and_stages_event(
    service: OrderService, orders: MagicMock, outbox: MagicMock
) -> None:
    data = OrderCreate.model_validate(
        {
            "customer_id": "c-1",
            "currency": "EUR",
            "items": [
                {"sku": "A", "quantity": 2, "unit_price": "1.25"},
                {"sku": "B", "quantity": 1, "unit_price": "3.00"},
            ],
        }
    )
    order = await service.create_order(data=data, correlation_id="corr-9")
    assert order.total_amount == Decimal("5.50")
    assert order.status == OrderStatus.PENDING
    assert [item.sku for item in order.items] == ["A", "B"]
    stored: NewOrder = orders.create.await_args.args[0]
    assert (stored.total_amount, stored.status) == (Decimal("5.50"), "PENDING")
    outbox.insert.assert_awaited_once()
    event: OutboxEvent = outbox.insert.await_args.args[0]
    assert (event.topic, event.key, event.event_type) == (
        TOPIC,
        str(order.id),
        "OrderCreated",
    )
    assert event.payload["correlation_id"] == "corr-9"
    assert event.payload["payload"]["total_amount"] == "5.50"
    assert event.id == uuid.UUID(event.payload["event_id"])


async def test_order_reader_returns_the_view_or_raises() -> None:
    views = create_autospec(OrderViewRepository, instance=True)
    order = await _created(
        NewOrder(uuid.uuid4(), "c-1", "PENDING", "EUR", Decimal("0"), items=[])
    )
    views.get.side_effect = [order, None]
    reader = OrderReader(views=views)
    assert await reader.get_order(order_id=order.id) == OrderOut.model_validate(order)
    with pytest.raises(OrderNotFoundError):
        await reader.get_order(order_id=uuid.uuid4())


async def test_list_orders_returns_cursor_when_more_rows(
    service: OrderService, orders: MagicMock
) -> None:
    rows = [_order(age_s=i) for i in range(3)]
    orders.search.return_value = rows
    page = await service.list_orders(filters=OrderFilters(limit=2, status="PENDING"))
    assert [item.id for item in page.items] == [rows[0].id, rows[1].id]
    assert page.next_cursor is not None
    assert decode_cursor(page.next_cursor) == (rows[1].created_at, rows[1].id)
    query = orders.search.call_args.args[0]
    assert (query.limit, query.status, query.after) == (3, "PENDING", None)


async def test_list_orders_passes_cursor_and_ends(
    service: OrderService, orders: MagicMock
) -> None:
    last = _order()
    orders.search.return_value = [_order()]
    cursor = encode_cursor(last.created_at, last.id)
    page = await service.list_orders(filters=OrderFilters(limit=5, cursor=cursor))
    assert page.next_cursor is None
    assert orders.search.call_args.args[0].after == (last.created_at, last.id)


@pytest.mark.parametrize("status", [OrderStatus.PENDING, OrderStatus.CONFIRMED])
async def test_cancel_allowed_states(
    service: OrderService, orders: MagicMock, outbox: MagicMock, status: OrderStatus
) -> None:
    order = _order(status)
    orders.get.return_value = order
    cancelled = await service.cancel_order(order_id=order.id, correlation_id=None)
    assert cancelled.status == OrderStatus.CANCELLED
    assert _staged(outbox).event_type == "OrderCancelled"
    orders.get.assert_awaited_once_with(order.id, for_update=True)


@pytest.mark.parametrize("status", [OrderStatus.CANCELLED, OrderStatus.REJECTED])
async def test_cancel_forbidden_states_raise_conflict(
    service: OrderService, orders: MagicMock, outbox: MagicMock, status: OrderStatus
) -> None:
    orders.get.return_value = _order(status)
    with pytest.raises(InvalidStateTransitionError) as caught:
        await service.cancel_order(order_id=uuid.uuid4(), correlation_id=None)
    assert caught.value.details["current"] == status.value
    outbox.add.assert_not_called()


async def test_cancel_missing_order_raises(service: OrderService) -> None:
    with pytest.raises(OrderNotFoundError):
        await service.cancel_order(order_id=uuid.uuid4(), correlation_id=None)


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        (None, (OrderStatus.CONFIRMED, "OrderConfirmed")),
        ("declined", (OrderStatus.REJECTED, "OrderRejected")),
    ],
)
async def test_payment_result_moves_pending_order(
    service: OrderService,
    orders: MagicMock,
    outbox: MagicMock,
    reason: str | None,
    expected: tuple[OrderStatus, str],
) -> None:
    status, event_type = expected
    order = _order()
    orders.get.return_value = order
    result = await service.apply_payment_result(
        order_id=order.id, payment_id="p-1", reason=reason, correlation_id="c"
    )
    assert result is order
    assert order.status == status
    event: Any = _staged(outbox)
    assert event.event_type == event_type
    assert event.payload["payload"]["payment_id"] == "p-1"


async def test_payment_result_for_non_pending_order_is_ignored(
    service: OrderService, orders: MagicMock, outbox: MagicMock
) -> None:
    orders.get.return_value = _order(OrderStatus.CANCELLED)
    result = await service.apply_payment_result(
        order_id=uuid.uuid4(), payment_id="p", reason=None, correlation_id=None
    )
    assert result is None
    outbox.add.assert_not_called()


def _result(order_id: uuid.UUID, reason: str | None = None) -> PaymentResult:
    return PaymentResult(
        order_id=order_id, payment_id="p-1", reason=reason, correlation_id="c"
    )


async def test_payment_results_are_applied_set_based(
    service: OrderService, orders: MagicMock, outbox: MagicMock
) -> None:
    pending, rejected, cancelled = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    orders.lock_statuses.return_value = {
        pending: "PENDING",
        rejected: "PENDING",
        cancelled: "CANCELLED",
    }
    applied = await service.apply_payment_results(
        [
            _result(pending),
            _result(rejected, reason="declined"),
            _result(cancelled),
            _result(pending, reason="late failure"),
        ]
    )
    assert applied == [True, True, False, False]
    orders.lock_statuses.assert_awaited_once_with({pending, rejected, cancelled})
    orders.set_statuses.assert_awaited_once_with(
        {pending: "CONFIRMED", rejected: "REJECTED"}
    )
    staged = [call.args[0] for call in outbox.add.call_args_list]
    assert [(e.key, e.event_type) for e in staged] == [
        (str(pending), "OrderConfirmed"),
        (str(rejected), "OrderRejected"),
    ]


async def test_payment_results_for_unknown_order_raise(
    service: OrderService, orders: MagicMock, outbox: MagicMock
) -> None:
    with pytest.raises(OrderNotFoundError):
        await service.apply_payment_results([_result(uuid.uuid4())])
    orders.set_statuses.assert_not_awaited()
    outbox.add.assert_not_called()


@pytest.mark.parametrize("current", list(OrderStatus))
@pytest.mark.parametrize("target", list(OrderStatus))
def test_the_lifecycle_has_one_set_of_rules(
    current: OrderStatus, target: OrderStatus
) -> None:
    allowed = {
        (OrderStatus.PENDING, OrderStatus.CONFIRMED),
        (OrderStatus.PENDING, OrderStatus.REJECTED),
        (OrderStatus.PENDING, OrderStatus.CANCELLED),
        (OrderStatus.CONFIRMED, OrderStatus.CANCELLED),
    }
    assert can_transition(current.value, target) == ((current, target) in allowed)
