"""Order use cases: create, read, list, cancel and payment outcomes."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from app.exceptions import InvalidStateTransitionError, OrderNotFoundError
from app.models.order import Order, OrderStatus, can_transition
from app.models.outbox import OutboxEvent
from app.repositories.order_views import OrderLine, OrderViewRepository
from app.repositories.orders import NewOrder, OrderQuery, OrderRepository
from app.repositories.outbox import OutboxRepository
from app.schemas.events import (
    OrderCreatedPayload,
    OrderItemPayload,
    OrderStatusChangedPayload,
    build_envelope,
)
from app.schemas.orders import OrderCreate, OrderFilters, OrderOut, OrderPage
from app.services.pagination import decode_cursor, encode_cursor


@dataclass(frozen=True, slots=True)
class PaymentResult:
    """One payment outcome to apply to an order.

    Attributes:
        order_id: The paid order.
        payment_id: Id of the payment.
        reason: Failure reason; ``None`` means the payment succeeded.
        correlation_id: Correlation id carried by the payment event.
    """

    order_id: uuid.UUID
    payment_id: str
    reason: str | None
    correlation_id: str | None


class OrderReader:
    """Read-only order use cases, on a driver connection instead of a session."""

    def __init__(self, *, views: OrderViewRepository) -> None:
        """Initialise the service.

        Args:
            views: Read-only order repository.
        """
        self._views = views

    async def get_order(self, *, order_id: uuid.UUID) -> OrderOut:
        """Fetch one order.

        Args:
            order_id: The order id.

        Returns:
            The order.

        Raises:
            OrderNotFoundError: When it does not exist.
        """
        order = await self._views.get(order_id)
        if order is None:
            raise OrderNotFoundError(order_id)
        return OrderOut.model_validate(order)


class OrderService:
    """Coordinates order state changes and the events they emit.

    Every state change stages its event in the outbox in the same
    transaction, so an order is never saved without its event (and Kafka
    being down never fails a request).
    """

    def __init__(
        self, *, orders: OrderRepository, outbox: OutboxRepository, orders_topic: str
    ) -> None:
        """Initialise the service.

        Args:
            orders: Order repository.
            outbox: Outbox repository.
            orders_topic: Topic the order events go to.
        """
        self._orders = orders
        self._outbox = outbox
        self._topic = orders_topic

    async def create_order(
        self, *, data: OrderCreate, correlation_id: str | None
    ) -> OrderOut:
        """Create a PENDING order and stage ``OrderCreated``.

        Args:
            data: Validated request body.
            correlation_id: Correlation id of the request.

        Returns:
            The new order.
        """
        order_id = uuid.uuid4()
        total = sum((i.unit_price * i.quantity for i in data.items), Decimal("0"))
        payload = OrderCreatedPayload(
            order_id=order_id,
            customer_id=data.customer_id,
            currency=data.currency,
            total_amount=total,
            items=[OrderItemPayload(**item.model_dump()) for item in data.items],
        )
        event = self._event(order_id, "OrderCreated", payload, correlation_id)
        await self._outbox.insert(event)
        stored = await self._orders.create(_new_order(order_id, data, total))
        return OrderOut.model_validate(stored)

    async def list_orders(self, *, filters: OrderFilters) -> OrderPage:
        """List orders newest first.

        Args:
            filters: Customer/status filters, page size and cursor.

        Returns:
            The page and the cursor of the next one (``None`` on the last page).
        """
        after = decode_cursor(filters.cursor) if filters.cursor else None
        query = OrderQuery(
            limit=filters.limit + 1,
            customer_id=filters.customer_id,
            status=filters.status,
            after=after,
        )
        rows = await self._orders.search(query)
        page, extra = rows[: filters.limit], rows[filters.limit :]
        next_cursor = encode_cursor(page[-1].created_at, page[-1].id) if extra else None
        items = [OrderOut.model_validate(order) for order in page]
        return OrderPage(items=items, next_cursor=next_cursor)

    async def cancel_order(
        self, *, order_id: uuid.UUID, correlation_id: str | None
    ) -> Order:
        """Cancel an order that is PENDING or CONFIRMED and stage ``OrderCancelled``.

        Args:
            order_id: The order id.
            correlation_id: Correlation id of the request.

        Returns:
            The cancelled order.

        Raises:
            OrderNotFoundError: When it does not exist.
            InvalidStateTransitionError: When its status forbids cancelling.
        """
        order = await self._locked(order_id)
        if not can_transition(order.status, OrderStatus.CANCELLED):
            raise InvalidStateTransitionError(
                order_id=order_id, current=order.status, target=OrderStatus.CANCELLED
            )
        payload = OrderStatusChangedPayload(
            order_id=order.id, status=OrderStatus.CANCELLED.value
        )
        return await self._transition(order, "OrderCancelled", payload, correlation_id)

    async def apply_payment_result(
        self,
        *,
        order_id: uuid.UUID,
        payment_id: str,
        reason: str | None,
        correlation_id: str | None,
    ) -> Order | None:
        """Confirm (no ``reason``) or reject (with ``reason``) a PENDING order.

        Args:
            order_id: The paid order.
            payment_id: Id of the payment.
            reason: Failure reason; ``None`` means the payment succeeded.
            correlation_id: Correlation id carried by the payment event.

        Returns:
            The updated order, or ``None`` when it was no longer PENDING
            (e.g. cancelled meanwhile) and the result is ignored.

        Raises:
            OrderNotFoundError: When the order does not exist.
        """
        order = await self._locked(order_id)
        target, event_type = _payment_transition(reason)
        if not can_transition(order.status, target):
            return None
        payload = OrderStatusChangedPayload(
            order_id=order.id, status=target.value, payment_id=payment_id, reason=reason
        )
        return await self._transition(order, event_type, payload, correlation_id)

    async def apply_payment_results(
        self, results: Sequence[PaymentResult]
    ) -> list[bool]:
        """Apply several payment results with set-based SQL.

        One query locks every order involved, each result is decided in
        order (a later result for the same order sees the earlier one's
        effect), one batched ``UPDATE`` writes the new statuses and one
        event per applied result is staged in the outbox.

        Args:
            results: Payment results, in the order they were received.

        Returns:
            Per result, whether it was applied (``False`` when the order was
            no longer PENDING and the result is ignored).

        Raises:
            OrderNotFoundError: When any of the orders does not exist.
        """
        statuses = await self._orders.lock_statuses({r.order_id for r in results})
        missing = [r.order_id for r in results if r.order_id not in statuses]
        if missing:
            raise OrderNotFoundError(missing[0])
        before = dict(statuses)
        applied = [self._decide(statuses, result) for result in results]
        await self._orders.set_statuses(
            {key: value for key, value in statuses.items() if before[key] != value}
        )
        return applied

    def _decide(self, statuses: dict[uuid.UUID, str], result: PaymentResult) -> bool:
        """Move a PENDING order to its payment outcome in ``statuses``; stage it."""
        target, event_type = _payment_transition(result.reason)
        if not can_transition(statuses[result.order_id], target):
            return False
        statuses[result.order_id] = target.value
        payload = OrderStatusChangedPayload(
            order_id=result.order_id,
            status=target.value,
            payment_id=result.payment_id,
            reason=result.reason,
        )
        self._stage(result.order_id, event_type, payload, result.correlation_id)
        return True

    async def _locked(self, order_id: uuid.UUID) -> Order:
        """Load an order with a row lock, or raise when it is missing."""
        order = await self._orders.get(order_id, for_update=True)
        if order is None:
            raise OrderNotFoundError(order_id)
        return order

    async def _transition(
        self,
        order: Order,
        event_type: str,
        payload: OrderStatusChangedPayload,
        correlation_id: str | None,
    ) -> Order:
        """Move ``order`` to ``payload.status`` and stage the matching event."""
        order.status = payload.status
        order = await self._orders.save(order)
        self._stage(order.id, event_type, payload, correlation_id)
        return order

    def _stage(
        self,
        order_id: uuid.UUID,
        event_type: str,
        payload: BaseModel,
        correlation_id: str | None,
    ) -> None:
        """Add the event for order ``order_id`` to the outbox (same transaction)."""
        self._outbox.add(self._event(order_id, event_type, payload, correlation_id))

    def _event(
        self,
        order_id: uuid.UUID,
        event_type: str,
        payload: BaseModel,
        correlation_id: str | None,
    ) -> OutboxEvent:
        """Build the outbox row of an event about order ``order_id``."""
        envelope = build_envelope(event_type, payload, correlation_id)
        return OutboxEvent(
            id=envelope.event_id,
            topic=self._topic,
            key=str(order_id),
            event_type=event_type,
            payload=envelope.model_dump(mode="json"),
            correlation_id=correlation_id,
        )


def _payment_transition(reason: str | None) -> tuple[OrderStatus, str]:
    """Target status and event type of a payment result (``None``: succeeded)."""
    if reason is None:
        return OrderStatus.CONFIRMED, "OrderConfirmed"
    return OrderStatus.REJECTED, "OrderRejected"


def _new_order(order_id: uuid.UUID, data: OrderCreate, total: Decimal) -> NewOrder:
    """The repository's record of a new PENDING order built from the request."""
    return NewOrder(
        id=order_id,
        customer_id=data.customer_id,
        status=OrderStatus.PENDING.value,
        currency=data.currency,
        total_amount=total,
        items=[OrderLine(i.sku, i.quantity, i.unit_price) for i in data.items],
    )


def create_order_service(session: AsyncSession, *, orders_topic: str) -> OrderService:
    """Wire an :class:`OrderService` onto one unit-of-work session.

    Args:
        session: The request's or message's session.
        orders_topic: Topic the order events go to.

    Returns:
        The service.
    """
    return OrderService(
        orders=OrderRepository(session),
        outbox=OutboxRepository(session),
        orders_topic=orders_topic,
    )


def create_order_reader(connection: Any) -> OrderReader:
    """Wire an :class:`OrderReader` onto one driver connection.

    Args:
        connection: The request's driver (asyncpg) connection.

    Returns:
        The read-only service.
    """
    return OrderReader(views=OrderViewRepository(connection))
