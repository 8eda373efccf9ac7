"""The benchmark's baseline: bare FastAPI + asyncpg, no layers, same SQL work.

Run as ``uvicorn scripts.bench_bare:app`` with ``BENCH_DSN`` set to a plain
``postgresql://`` DSN of the migrated benchmark database.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

import asyncpg
from fastapi import FastAPI, HTTPException, Request, Response

from app.core.runtime import tune_garbage_collector


@asynccontextmanager
async def lifespan(application: FastAPI) -> AsyncIterator[None]:
    """Open the asyncpg pool (``BENCH_POOL`` connections, like the layered app)."""
    size = int(os.environ.get("BENCH_POOL", "64"))
    application.state.pool = await asyncpg.create_pool(
        os.environ["BENCH_DSN"], min_size=min(10, size), max_size=size
    )
    tune_garbage_collector()  # same runtime tuning as the layered app
    yield
    await application.state.pool.close()


app = FastAPI(lifespan=lifespan)


@app.get("/bare/orders/{order_id}")
async def get_order(order_id: uuid.UUID, request: Request) -> Response:
    """Read one order row (plus its items) and return it as JSON."""
    async with request.app.state.pool.acquire() as connection:
        row = await connection.fetchrow(
            "SELECT id, customer_id, status, currency, total_amount, created_at,"
            " updated_at FROM orders WHERE id = $1",
            order_id,
        )
        if row is None:
            raise HTTPException(status_code=404)
        items = await connection.fetch(
            "SELECT sku, quantity, unit_price FROM order_items WHERE order_id = $1",
            order_id,
        )
    body: dict[str, Any] = {**dict(row), "items": [dict(i) for i in items]}
    return Response(json.dumps(body, default=str), media_type="application/json")


@app.post("/bare/orders", status_code=201)
async def create_order(request: Request) -> Response:
    """Insert an order, its item and an outbox row in one transaction."""
    data = await request.json()
    order_id, item = uuid.uuid4(), data["items"][0]
    async with request.app.state.pool.acquire() as connection, connection.transaction():
        await connection.execute(
            "INSERT INTO orders (id, customer_id, status, currency, total_amount)"
            " VALUES ($1, $2, 'PENDING', $3, $4)",
            order_id,
            data["customer_id"],
            data["currency"],
            Decimal(item["unit_price"]) * item["quantity"],
        )
        await connection.execute(
            "INSERT INTO order_items (order_id, sku, quantity, unit_price)"
            " VALUES ($1, $2, $3, $4)",
            order_id,
            item["sku"],
            item["quantity"],
            Decimal(item["unit_price"]),
        )
        await connection.execute(
            "INSERT INTO outbox_events (id, topic, key, event_type, payload)"
            " VALUES ($1, 'bench.bare', $2, 'OrderCreated', $3::jsonb)",
            uuid.uuid4(),
            str(order_id),
            json.dumps(data),
        )
    body = json.dumps({"id": str(order_id)})
    return Response(body, status_code=201, media_type="application/json")
