"""Persistence of the order aggregate."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, bindparam, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from app.models.order import Order
from app.schemas.orders import OrderCreate, OrderOut

# Built once, with a bound parameter: constructing a statement (and its cache
# key) on every call costs more CPU than running it. One round trip: items
# come in the same query (LEFT JOIN); the row lock applies to the order only.
_BY_ID = (
    select(Order)
    .where(Order.id == bindparam("order_id"))
    .options(joinedload(Order.items))
)
_BY_ID_FOR_UPDATE = _BY_ID.with_for_update(of=Order)

# The hot paths skip the ORM (statement compilation, identity map, unit of
# work): plain SQL on the tables that the models define, rows mapped straight
# into the response schema. Reading: one query, items by LEFT JOIN.
_VIEW_BY_ID = (
    "SELECT o.id, o.customer_id, o.status, o.currency, o.total_amount,"
    " o.created_at, o.updated_at, i.sku, i.quantity, i.unit_price"
    " FROM orders AS o LEFT JOIN order_items AS i ON i.order_id = o.id"
    " WHERE o.id = $1 ORDER BY i.id"
)
_VIEW_COLUMNS = (
    "id",
    "customer_id",
    "status",
    "currency",
    "total_amount",
    "created_at",
    "updated_at",
)
# Writing: the order and all its items in one statement (the foreign key is
# checked at its end), returning the server-side timestamps.
_INSERT_ORDER = (
    "WITH new_order AS ("
    " INSERT INTO orders (id, customer_id, status, currency, total_amount)"
    " VALUES ($1, $2, $3, $4, $5) RETURNING created_at, updated_at"
    "), new_items AS ("
    " INSERT INTO order_items (order_id, sku, quantity, unit_price)"
    " SELECT $1, sku, quantity, unit_price"
    " FROM unnest($6::varchar[], $7::integer[], $8::numeric[])"
    " WITH ORDINALITY AS item (sku, quantity, unit_price, position)"
    " ORDER BY position"
    ") SELECT created_at, updated_at FROM new_order"
)


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

    async def add(self, order: Order) -> Order:
        """Stage a new order (with its items) and flush to assign defaults.

        Args:
            order: The transient order.

        Returns:
            The persisted order with its server-side timestamps.
        """
        self._session.add(order)
        await self._session.flush()
        return order

    async def create(
        self, *, order_id: uuid.UUID, status: str, data: OrderCreate, total: Decimal
    ) -> OrderOut:
        """Insert a new order and its items with one statement (no flush).

        Runs in the session's transaction, like every other write.

        Args:
            order_id: Id of the new order.
            status: Its initial status.
            data: The validated create request (customer, currency, items).
            total: Its total amount.

        Returns:
            The stored order with its server-side timestamps.
        """
        items = data.items
        params = (order_id, data.customer_id, status, data.currency, total)
        columns = ([i.sku for i in items], [i.quantity for i in items])
        prices = [i.unit_price for i in items]
        connection = await self._session.connection()
        result = await connection.exec_driver_sql(
            _INSERT_ORDER, (*params, *columns, prices)
        )
        created_at, updated_at = tuple(result.one())
        stored = {"id": order_id, "status": status, "total_amount": total}
        stamps = {"created_at": created_at, "updated_at": updated_at}
        return OrderOut.model_validate({**data.model_dump(), **stored, **stamps})

    async def get_view(self, order_id: uuid.UUID) -> OrderOut | None:
        """Read one order with its items, straight into the response schema.

        Runs on the driver (asyncpg) connection of the session's connection,
        with no ORM. It only reads, so on the autocommit read session it needs
        no transaction; once a transaction has started on that connection, it
        runs inside it.

        Args:
            order_id: The order id.

        Returns:
            The order or ``None`` when it does not exist.
        """
        connection = await self._session.connection()
        raw = await connection.get_raw_connection()
        return await fetch_order_view(raw.driver_connection, order_id)

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


class OrderViewRepository:
    """Reads orders on a driver (asyncpg) connection, with no session at all.

    For read-only requests: it skips the session's checkout, unit-of-work and
    commit machinery; it never writes.
    """

    def __init__(self, connection: Any) -> None:
        """Initialise the repository.

        Args:
            connection: A driver connection checked out for the request.
        """
        self._connection = connection

    async def get_view(self, order_id: uuid.UUID) -> OrderOut | None:
        """Read one order with its items, straight into the response schema.

        Args:
            order_id: The order id.

        Returns:
            The order or ``None`` when it does not exist.
        """
        return await fetch_order_view(self._connection, order_id)


async def fetch_order_view(driver: Any, order_id: uuid.UUID) -> OrderOut | None:
    """Run ``_VIEW_BY_ID`` on a driver connection and map its rows.

    Args:
        driver: The asyncpg connection.
        order_id: The order id.

    Returns:
        The order or ``None`` when it does not exist.
    """
    rows: Sequence[Any] = await driver.fetch(_VIEW_BY_ID, order_id)
    return _order_view(rows) if rows else None


def _order_view(rows: Sequence[Any]) -> OrderOut:
    """Map the rows of ``_VIEW_BY_ID`` (one per item) to the response schema."""
    order = dict(zip(_VIEW_COLUMNS, rows[0][:7], strict=True))
    order["items"] = [
        {"sku": row[7], "quantity": row[8], "unit_price": row[9]}
        for row in rows
        if row[7] is not None
    ]
    return OrderOut.model_validate(order)


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
