"""Orders endpoints."""

from __future__ import annotations

import uuid
from http import HTTPStatus
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from app.api.dependencies import CorrelationIdDep, OrderReaderDep, OrderServiceDep
from app.schemas.errors import ErrorResponse
from app.schemas.orders import OrderCreate, OrderFilters, OrderOut, OrderPage

router = APIRouter(prefix="/orders", tags=["orders"])
_Responses = dict[int | str, dict[str, Any]]


def _error(description: str) -> dict[str, Any]:
    """Document an error response that uses the shared error body."""
    return {"model": ErrorResponse, "description": description}


_INTERNAL: _Responses = {
    HTTPStatus.INTERNAL_SERVER_ERROR.value: _error("Unexpected server error.")
}
_INVALID: _Responses = {
    HTTPStatus.UNPROCESSABLE_ENTITY.value: _error("Request failed validation.")
}
_NOT_FOUND: _Responses = {HTTPStatus.NOT_FOUND.value: _error("No order has this id.")}


@router.post(
    "",
    status_code=HTTPStatus.CREATED,
    response_model=OrderOut,
    summary="Create an order",
    description=(
        "Creates a PENDING order and, in the same transaction, queues an "
        "`OrderCreated` event for `orders.v1`. Succeeds even when Kafka is down."
    ),
    responses={**_INVALID, **_INTERNAL},
)
async def create_order(
    body: OrderCreate,
    service: OrderServiceDep,
    correlation_id: CorrelationIdDep,
    response: Response,
) -> OrderOut:
    """Create an order.

    Args:
        body: The order to create.
        service: Order service.
        correlation_id: Request correlation id.
        response: Used to set the ``Location`` header.

    Returns:
        The created order.
    """
    order = await service.create_order(data=body, correlation_id=correlation_id)
    response.headers["Location"] = f"/orders/{order.id}"
    return OrderOut.model_validate(order)


@router.get(
    "",
    response_model=OrderPage,
    summary="List orders",
    description=(
        "Lists orders newest first, optionally filtered by customer and status. "
        "Pages with an opaque keyset `cursor` taken from `next_cursor`."
    ),
    responses={
        HTTPStatus.BAD_REQUEST.value: _error("The cursor is malformed."),
        **_INVALID,
        **_INTERNAL,
    },
)
async def list_orders(
    filters: Annotated[OrderFilters, Query()], service: OrderServiceDep
) -> OrderPage:
    """List orders.

    Args:
        filters: Filters, page size and cursor.
        service: Order service.

    Returns:
        One page of orders.
    """
    return await service.list_orders(filters=filters)


@router.get(
    "/{order_id}",
    response_model=OrderOut,
    summary="Get an order",
    description="Returns one order with its line items.",
    responses={**_NOT_FOUND, **_INVALID, **_INTERNAL},
)
async def get_order(order_id: uuid.UUID, reader: OrderReaderDep) -> Response:
    """Get an order by id.

    The order is validated once, from the row, and serialised once; the
    ``response_model`` still documents the body.

    Args:
        order_id: The order id.
        reader: Read-only order service.

    Returns:
        The order as JSON.
    """
    order = await reader.get_order(order_id=order_id)
    return Response(order.model_dump_json(), media_type="application/json")


@router.post(
    "/{order_id}/cancel",
    response_model=OrderOut,
    summary="Cancel an order",
    description=(
        "Cancels a PENDING or CONFIRMED order and queues an `OrderCancelled` "
        "event. Answers 409 when the order is already REJECTED or CANCELLED."
    ),
    responses={
        **_NOT_FOUND,
        HTTPStatus.CONFLICT.value: _error("The order's status does not allow it."),
        **_INVALID,
        **_INTERNAL,
    },
)
async def cancel_order(
    order_id: uuid.UUID, service: OrderServiceDep, correlation_id: CorrelationIdDep
) -> OrderOut:
    """Cancel an order.

    Args:
        order_id: The order id.
        service: Order service.
        correlation_id: Request correlation id.

    Returns:
        The cancelled order.
    """
    order = await service.cancel_order(order_id=order_id, correlation_id=correlation_id)
    return OrderOut.model_validate(order)
