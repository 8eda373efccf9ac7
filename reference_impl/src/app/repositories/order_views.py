"""Read model of orders: plain records and the fast by-id read.

The one place where orders are read without the ORM. The query is a Core
``select`` of the columns the records need, taken from the ORM models (so a
renamed column breaks here, at import time) and compiled once for the driver;
it runs on a driver (asyncpg) connection, with no session, statement
compilation, identity map or hydration per request.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.dialects import registry

from app.models.order import Order, OrderItem


@dataclass(frozen=True, slots=True)
class OrderLine:
    """One line of an order, as written and as read."""

    sku: str
    quantity: int
    unit_price: Decimal


@dataclass(frozen=True, slots=True)
class OrderView:
    """An order with its lines, as stored."""

    id: uuid.UUID
    customer_id: str
    status: str
    currency: str
    total_amount: Decimal
    created_at: datetime
    updated_at: datetime
    items: Sequence[OrderLine]


# In the order of the records' fields (``test_read_model`` checks it).
ORDER_COLUMNS = (
    Order.id,
    Order.customer_id,
    Order.status,
    Order.currency,
    Order.total_amount,
    Order.created_at,
    Order.updated_at,
)
LINE_COLUMNS = (OrderItem.sku, OrderItem.quantity, OrderItem.unit_price)
# One round trip: the lines come by LEFT JOIN, in insertion order.
BY_ID = (
    select(*ORDER_COLUMNS, *LINE_COLUMNS)
    .outerjoin(OrderItem, OrderItem.order_id == Order.id)
    .where(Order.id == bindparam("order_id"))
    .order_by(OrderItem.id)
)
_BY_ID_SQL = str(BY_ID.compile(dialect=registry.load("postgresql.asyncpg")()))
_ORDER_FIELDS = tuple(column.key for column in ORDER_COLUMNS)
_ORDER_WIDTH = len(ORDER_COLUMNS)


class OrderViewRepository:
    """Reads orders on a driver (asyncpg) connection; never writes."""

    def __init__(self, connection: Any) -> None:
        """Initialise the repository.

        Args:
            connection: A driver connection checked out for the request.
        """
        self._connection = connection

    async def get(self, order_id: uuid.UUID) -> OrderView | None:
        """Read one order with its lines.

        Args:
            order_id: The order id.

        Returns:
            The order or ``None`` when it does not exist.
        """
        rows: Sequence[Any] = await self._connection.fetch(_BY_ID_SQL, order_id)
        return _order_view(rows) if rows else None


def _order_view(rows: Sequence[Any]) -> OrderView:
    """Map the rows of ``BY_ID`` (one per line) to the record."""
    lines = [
        OrderLine(*row[_ORDER_WIDTH:]) for row in rows if row[_ORDER_WIDTH] is not None
    ]
    order = dict(zip(_ORDER_FIELDS, rows[0][:_ORDER_WIDTH], strict=True))
    return OrderView(**order, items=lines)
