"""Router tests: HTTP through the ASGI app against real PostgreSQL."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from collections.abc import AsyncIterator
from http import HTTPStatus
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.api.dependencies import get_order_reader
from app.models import OutboxEvent
from tests.support.infra import free_port, wait_for_port

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
    bad_cursor = await client.get("/orders", params={"cursor": "not-a-cursor"})
    assert bad_cursor.status_code == HTTPStatus.BAD_REQUEST
    assert bad_cursor.json()["code"] == "invalid_cursor"
    not_base64 = await client.get("/orders", params={"cursor": "%%%not-base64"})
    assert not_base64.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
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
    assert wrong_method.headers["Allow"] == "GET, POST"


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


def _cursor(position: dict[str, Any]) -> str:
    raw = json.dumps(position).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


async def test_total_above_the_numeric_column_is_422(
    client: httpx.AsyncClient, customer_id: str
) -> None:
    body = _body(customer_id)
    body["items"] = [{"sku": "A", "quantity": 1000, "unit_price": "1000000000.00"}]
    response = await client.post("/orders", json=body)
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert response.json()["code"] == "validation_error"
    assert response.json()["details"][0]["loc"] == ["body", "items", 0, "unit_price"]


async def test_largest_possible_order_fits_the_columns(
    client: httpx.AsyncClient, customer_id: str
) -> None:
    item = {"sku": "A", "quantity": 10_000, "unit_price": "999999.99"}
    body = {**_body(customer_id), "items": [item] * 100}
    response = await client.post("/orders", json=body)
    assert response.status_code == HTTPStatus.CREATED
    assert response.json()["total_amount"] == "999999990000.00"


@pytest.mark.parametrize("price", ["", "1.999", "-1", "1e3", 19.99, " 1", "\u0661"])
async def test_unit_price_must_be_a_decimal_string(
    client: httpx.AsyncClient, customer_id: str, price: object
) -> None:
    body = _body(customer_id)
    body["items"][0]["unit_price"] = price
    response = await client.post("/orders", json=body)
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY


@pytest.mark.parametrize("field", ["customer_id", "sku"])
@pytest.mark.parametrize("bad", ["nul\u0000", "tab\t", "del\u007f"])
async def test_control_characters_in_text_are_422(
    client: httpx.AsyncClient, field: str, bad: str
) -> None:
    body = _body("c-1")
    target = body if field == "customer_id" else body["items"][0]
    target[field] = bad
    response = await client.post("/orders", json=body)
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert response.json()["details"][0]["type"] == "string_pattern_mismatch"


async def test_nul_in_the_customer_filter_is_422(client: httpx.AsyncClient) -> None:
    response = await client.get("/orders?customer_id=%00")
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert response.json()["code"] == "validation_error"


async def test_unparseable_body_is_422(client: httpx.AsyncClient) -> None:
    for content in (b"\x80", b'{"customer_id": "\xff"}', b'{"customer_id":'):
        response = await client.post(
            "/orders", content=content, headers={"content-type": "application/json"}
        )
        assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
        assert response.json()["code"] == "validation_error"


_ORDER_ID = "6f1c2a9e-2b43-4c8a-9a57-3f0d1c2e4b5a"


@pytest.mark.parametrize(
    "cursor",
    [
        _cursor({"c": "2025-01-01T00:00:00+00:00", "i": 123}),
        _cursor({"c": "0001-01-01T00:00+14:00", "i": _ORDER_ID}),
        _cursor({"c": "9999-12-31T23:59:59-14:00", "i": _ORDER_ID}),
        _cursor({"c": "2025-01-01T00:00:00", "i": _ORDER_ID}),
        base64.urlsafe_b64encode(b"[" * 150).decode(),
    ],
)
async def test_cursor_of_the_wrong_shape_is_400(
    client: httpx.AsyncClient, cursor: str
) -> None:
    response = await client.get("/orders", params={"cursor": cursor})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["code"] == "invalid_cursor"


async def test_cursor_at_the_edges_of_time_is_a_page(client: httpx.AsyncClient) -> None:
    for stamp in ("0001-01-01T00:00:00+00:00", "9999-12-31T23:59:59+00:00"):
        cursor = _cursor({"c": stamp, "i": _ORDER_ID})
        response = await client.get("/orders", params={"cursor": cursor, "limit": 1})
        assert response.status_code == HTTPStatus.OK


async def test_overlong_cursor_is_422(client: httpx.AsyncClient) -> None:
    response = await client.get("/orders", params={"cursor": "A" * 257})
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY


@pytest.fixture
async def live_server(app: Any) -> AsyncIterator[int]:
    """The application served by uvicorn on a real socket (lifespan shared)."""
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, lifespan="off", log_config=None
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    await asyncio.to_thread(wait_for_port, port)
    yield port
    server.should_exit = True
    await task


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, path: str
) -> tuple[bytes, bytes]:
    """Send one keep-alive GET and read the whole response (head, body)."""
    writer.write(f"GET {path} HTTP/1.1\r\nHost: test\r\n\r\n".encode())
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=10)
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    return head, await reader.readexactly(length)


async def test_unexpected_error_keeps_the_connection_alive(
    app: Any, live_server: int
) -> None:
    async def broken() -> None:
        raise RuntimeError("database exploded")

    app.dependency_overrides[get_order_reader] = broken
    reader, writer = await asyncio.open_connection("127.0.0.1", live_server)
    try:
        answers = [
            await _exchange(reader, writer, f"/orders/{uuid.uuid4()}") for _ in "ab"
        ]
        healthy = await _exchange(reader, writer, "/health/live")
    finally:
        app.dependency_overrides.clear()
        writer.close()
    for head, body in answers:
        assert head.startswith(b"HTTP/1.1 500 ")
        assert json.loads(body)["code"] == "internal_error"
        assert b"exploded" not in body
    assert healthy[0].startswith(b"HTTP/1.1 200 ")
