"""Persistence of the order aggregate (ORM and Core on the session)."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Select, bindparam, insert, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from app.models.order import Order, OrderItem
from app.repositories.order_views import OrderLine, OrderView

# Built once, with a bound parameter: constructing a statement (and its cache
# key) on every call costs more CPU than running it. One round trip: items
# come in the same query (LEFT JOIN); the row lock applies to the order only.
_BY_ID = (
    select(Order)
    .where(Order.id == bindparam("order_id"))
    .options(joinedload(Order.items))
)
_BY_ID_FOR_UPDATE = _BY_ID.with_for_update(of=Order)

# Writing a new order: the order row (returning its server-side timestamps),
# then all its lines in one executemany; Core statements, built once.
_INSERT_ORDER = insert(Order).returning(Order.created_at, Order.updated_at)
_INSERT_LINES = insert(OrderItem)


@dataclass(frozen=True, slots=True)
class NewOrder:
    """A new order to insert."""

    id: uuid.UUID
    customer_id: str
    status: str
    currency: str
    total_amount: Decimal
    items: Sequence[OrderLine]


@dataclass(frozen=True, slots=True)
class OrderQuery:
    """Filters and keyset position of a list query."""

    limit: int
    customer_id: str | None = None
    status: str | None = None
    after: tuple[datetime, uuid.UUID] | None = None


class OrderRepository:
    """Reads and writes orders within the caller's session (never commits)."""

    def __init__(self, session: AsyncSession) -> None:
        """Initialise the repository.

        Args:
            session: The unit-of-work session.
        """
        self._session = session

    async def create(self, order: NewOrder) -> OrderView:
        """Insert a new order and its lines in the session's transaction.

        Args:
            order: The order to insert.

        Returns:
            The stored order with its server-side timestamps.
        """
        row = {f.name: getattr(order, f.name) for f in fields(order)}
        row.pop("items")
        result = await self._session.execute(_INSERT_ORDER, row)
        created_at, updated_at = result.one()
        lines = [{"order_id": order.id, **asdict(line)} for line in order.items]
        await self._session.execute(_INSERT_LINES, lines)
        return OrderView(
            **row, created_at=created_at, updated_at=updated_at, items=order.items
        )

    async def get(
        self, order_id: uuid.UUID, *, for_update: bool = False
    ) -> Order | None:
        """Load one order by id.

        Args:
            order_id: The order id.
            for_update: Lock the row until the transaction ends.

        Returns:
            The order or ``None`` when it does not exist.
        """
        statement = _BY_ID_FOR_UPDATE if for_update else _BY_ID
        result = await self._session.execute(statement, {"order_id": order_id})
        return result.unique().scalar_one_or_none()

    async def lock_statuses(
        self, order_ids: Collection[uuid.UUID]
    ) -> dict[uuid.UUID, str]:
        """Lock several orders (in id order, so lockers never deadlock).

        Args:
            order_ids: The orders to lock.

        Returns:
            The current status of each order found, by id.
        """
        if not order_ids:
            return {}
        statement = (
            select(Order.id, Order.status)
            .where(Order.id.in_(order_ids))
            .order_by(Order.id)
            .with_for_update()
        )
        result = await self._session.execute(statement)
        return {row.id: row.status for row in result}

    async def set_statuses(self, statuses: Mapping[uuid.UUID, str]) -> None:
        """Set the status of several orders in one batched ``UPDATE``.

        Args:
            statuses: New status by order id (``updated_at`` moves too).
        """
        if not statuses:
            return
        statement = (
            update(Order)
            .where(Order.id == bindparam("order_id"))
            .values(status=bindparam("new_status"))
            .execution_options(synchronize_session=False, dml_strategy="core_only")
        )
        params = [{"order_id": k, "new_status": v} for k, v in statuses.items()]
        await self._session.execute(statement, params)

    async def search(self, query: OrderQuery) -> list[Order]:
        """List orders newest first using keyset pagination.

        Args:
            query: Filters, page size and keyset position.

        Returns:
            Up to ``query.limit`` orders.
        """
        result = await self._session.execute(_list_statement(query))
        return list(result.scalars().all())

    async def save(self, order: Order) -> Order:
        """Flush pending changes of an already loaded order.

        Args:
            order: The modified order.

        Returns:
            The order with its new ``updated_at``.
        """
        await self._session.flush()
        return order


def _list_statement(query: OrderQuery) -> Select[Order]:
    """Build the list query; each filter combination has a matching index."""
    statement = select(Order)
    if query.customer_id is not None:
        statement = statement.where(Order.customer_id == query.customer_id)
    if query.status is not None:
        statement = statement.where(Order.status == query.status)
    if query.after is not None:
        statement = statement.where(tuple_(Order.created_at, Order.id) < query.after)
    order_by = (Order.created_at.desc(), Order.id.desc())
    return statement.order_by(*order_by).limit(query.limit)
