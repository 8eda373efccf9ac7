"""Router tests: HTTP through the ASGI app against real PostgreSQL."""

from __future__ import annotations

import uuid
from http import HTTPStatus
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.api.dependencies import get_order_reader
from app.models import OutboxEvent

pytestmark = pytest.mark.integration

ERROR_KEYS = {"code", "message", "details", "correlation_id"}


def _body(customer_id: str, quantity: int = 2) -> dict[str, Any]:
    return {
        "customer_id": customer_id,
        "currency": "EUR",
        "items": [{"sku": "SKU-1", "quantity": quantity, "unit_price": "19.99"}],
    }


async def _create(client: httpx.AsyncClient, customer_id: str) -> dict[str, Any]:
    response = await client.post("/orders", json=_body(customer_id))
    assert response.status_code == HTTPStatus.CREATED
    created: dict[str, Any] = response.json()
    return created


async def test_create_order_returns_201_and_stages_event(
    client: httpx.AsyncClient, customer_id: str, engine: AsyncEngine
) -> None:
    response = await client.post(
        "/orders",
        json=_body(customer_id),
        headers={"X-Correlation-ID": "corr-create-1"},
    )
    assert response.status_code == HTTPStatus.CREATED
    order = response.json()
    assert order["status"] == "PENDING"
    assert order["total_amount"] == "39.98"
    assert response.headers["Location"] == f"/orders/{order['id']}"
    assert response.headers["X-Correlation-ID"] == "corr-create-1"
    async with AsyncSession(engine) as session:
        rows = (
            await session.scalars(
                select(OutboxEvent).where(OutboxEvent.key == order["id"])
            )
        ).all()
    assert [row.event_type for row in rows] == ["OrderCreated"]
    assert rows[0].correlation_id == "corr-create-1"
    assert rows[0].payload["payload"]["total_amount"] == "39.98"


async def test_get_order_200_and_404(
    client: httpx.AsyncClient, customer_id: str
) -> None:
    order = await _create(client, customer_id)
    found = await client.get(f"/orders/{order['id']}")
    assert found.status_code == HTTPStatus.OK
    assert found.json() == order
    missing = await client.get(f"/orders/{uuid.uuid4()}")
    assert missing.status_code == HTTPStatus.NOT_FOUND
    assert set(missing.json()) == ERROR_KEYS
    assert missing.json()["code"] == "order_not_found"
    assert missing.json()["correlation_id"] == missing.headers["X-Correlation-ID"]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"customer_id": 5, "currency": "EUR", "items": "nope"},
        {"customer_id": "c", "currency": "euro", "items": []},
        {"customer_id": "c", "currency": "EUR", "items": [{"sku": "a", "quantity": 0}]},
    ],
)
async def test_invalid_bodies_get_422_with_error_body(
    client: httpx.AsyncClient, body: dict[str, Any]
) -> None:
    response = await client.post("/orders", json=body)
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert set(response.json()) == ERROR_KEYS
    assert response.json()["code"] == "validation_error"
    assert response.json()["details"]


async def test_malformed_order_id_is_422(client: httpx.AsyncClient) -> None:
    response = await client.get("/orders/not-a-uuid")
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert set(response.json()) == ERROR_KEYS


async def test_list_filters_and_paginates(
    client: httpx.AsyncClient, customer_id: str
) -> None:
    created = [await _create(client, customer_id) for _ in range(3)]
    cancelled = await client.post(f"/orders/{created[0]['id']}/cancel")
    assert cancelled.status_code == HTTPStatus.OK
    first = await client.get(
        "/orders", params={"customer_id": customer_id, "status": "PENDING", "limit": 1}
    )
    assert first.status_code == HTTPStatus.OK
    page = first.json()
    assert [o["id"] for o in page["items"]] == [created[2]["id"]]
    second = await client.get(
        "/orders",
        params={
            "customer_id": customer_id,
            "status": "PENDING",
            "cursor": page["next_cursor"],
        },
    )
    assert [o["id"] for o in second.json()["items"]] == [created[1]["id"]]
    assert second.json()["next_cursor"] is None
    everything = await client.get("/orders", params={"customer_id": customer_id})
    assert len(everything.json()["items"]) == len(created)


async def test_list_rejects_bad_cursor_and_filters(client: httpx.AsyncClient) -> None:
    bad_cursor = await client.get("/orders", params={"cursor": "%%%not-base64"})
    assert bad_cursor.status_code == HTTPStatus.BAD_REQUEST
    assert bad_cursor.json()["code"] == "invalid_cursor"
    bad_status = await client.get("/orders", params={"status": "SHIPPED"})
    assert bad_status.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    bad_limit = await client.get("/orders", params={"limit": 0})
    assert bad_limit.status_code == HTTPStatus.UNPROCESSABLE_ENTITY


async def test_cancel_then_cancel_again_is_409(
    client: httpx.AsyncClient, customer_id: str
) -> None:
    order = await _create(client, customer_id)
    first = await client.post(f"/orders/{order['id']}/cancel")
    assert first.status_code == HTTPStatus.OK
    assert first.json()["status"] == "CANCELLED"
    second = await client.post(f"/orders/{order['id']}/cancel")
    assert second.status_code == HTTPStatus.CONFLICT
    assert second.json()["code"] == "invalid_state_transition"
    assert set(second.json()) == ERROR_KEYS


async def test_cancel_unknown_order_is_404(client: httpx.AsyncClient) -> None:
    response = await client.post(f"/orders/{uuid.uuid4()}/cancel")
    assert response.status_code == HTTPStatus.NOT_FOUND


async def test_unknown_route_and_method_use_error_body(
    client: httpx.AsyncClient,
) -> None:
    missing = await client.get("/nope")
    assert missing.status_code == HTTPStatus.NOT_FOUND
    assert set(missing.json()) == ERROR_KEYS
    assert missing.json()["code"] == "not_found"
    wrong_method = await client.delete("/orders")
    assert wrong_method.status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert wrong_method.json()["code"] == "method_not_allowed"


async def test_unexpected_error_is_500_with_error_body(app: Any) -> None:
    async def broken() -> None:
        raise RuntimeError("database exploded")

    app.dependency_overrides[get_order_reader] = broken
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            response = await http.get(
                f"/orders/{uuid.uuid4()}", headers={"X-Correlation-ID": "corr-500"}
            )
    finally:
        app.dependency_overrides.clear()
    assert response.status_code == HTTPStatus.INTERNAL_SERVER_ERROR
    assert response.json() == {
        "code": "internal_error",
        "message": "An unexpected error occurred",
        "details": {},
        "correlation_id": "corr-500",
    }
    assert response.headers["X-Correlation-ID"] == "corr-500"
