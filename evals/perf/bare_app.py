"""The calibration baseline: bare FastAPI + asyncpg, one table, one single-row GET by id.

No middleware, no logging, no ORM: the least a FastAPI service can do to answer a GET by
primary key from PostgreSQL. Served by uvicorn (``python -m uvicorn
evals.perf.bare_app:app``) with ``EVALS_BARE_DSN`` set to a ``postgresql://`` DSN of an
empty database; start-up creates and seeds its table.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg  # type: ignore[import-untyped]
from fastapi import FastAPI, Request, Response

from evals.perf.bare import DSN_ENV, POOL_ENV

ROWS = 1000
DEFAULT_POOL = 16
DDL = "CREATE TABLE IF NOT EXISTS items (id integer PRIMARY KEY, name text, quantity integer)"
SEED = (
    "INSERT INTO items SELECT n, 'item ' || n, n % 97 FROM generate_series(1, $1) AS n"
    " ON CONFLICT DO NOTHING"
)
SELECT = "SELECT id, name, quantity FROM items WHERE id = $1"


@asynccontextmanager
async def lifespan(application: FastAPI) -> AsyncIterator[None]:
    """Open the pool, create and seed the table; close the pool at shutdown."""
    size = int(os.environ.get(POOL_ENV, str(DEFAULT_POOL)))
    pool = await asyncpg.create_pool(os.environ[DSN_ENV], min_size=size, max_size=size)
    async with pool.acquire() as connection:
        await connection.execute(DDL)
        await connection.execute(SEED, ROWS)
    application.state.pool = pool
    yield
    await pool.close()


app = FastAPI(lifespan=lifespan, openapi_url=None, docs_url=None, redoc_url=None)


@app.get("/items/{item_id}")
async def get_item(item_id: int, request: Request) -> Response:
    """One row by primary key as JSON (404 when there is none)."""
    async with request.app.state.pool.acquire() as connection:
        row = await connection.fetchrow(SELECT, item_id)
    if row is None:
        return Response(status_code=404)
    return Response(json.dumps(dict(row)), media_type="application/json")
