"""The lab's tables, created and seeded by the experiment before any variant starts.

``items`` has 10 columns and :data:`ROWS` rows; ``outbox`` is the (empty) table the relay
variant polls. Both are plain SQL run with asyncpg, so that every variant finds the same
data and no variant pays for DDL at start-up.
"""

from __future__ import annotations

import asyncpg  # type: ignore[import-untyped]

ROWS = 1000
DDL = """
CREATE TABLE IF NOT EXISTS items (
    id integer PRIMARY KEY,
    sku text NOT NULL UNIQUE,
    name text NOT NULL,
    description text NOT NULL,
    category text NOT NULL,
    price numeric(10, 2) NOT NULL,
    quantity integer NOT NULL,
    active boolean NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox (
    id bigserial PRIMARY KEY,
    topic text NOT NULL,
    payload jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz
);
CREATE INDEX IF NOT EXISTS outbox_unpublished ON outbox (id) WHERE published_at IS NULL;
"""
SEED = """
INSERT INTO items
SELECT n, 'SKU-' || lpad(n::text, 6, '0'), 'item ' || n,
       repeat('A fine item for the lab. ', 4), 'category ' || (n % 12),
       (n % 500) + 0.99, n % 97, n % 10 <> 0,
       now() - make_interval(days => n % 365), now()
FROM generate_series(1, $1) AS n
ON CONFLICT DO NOTHING
"""


async def create_database(admin_dsn: str, name: str) -> str:
    """Create database ``name`` on the server of ``admin_dsn``; its ``postgresql://`` DSN."""
    connection = await asyncpg.connect(admin_dsn)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    base, _, query = admin_dsn.partition("?")
    return f"{base.rsplit('/', 1)[0]}/{name}" + (f"?{query}" if query else "")


async def seed(dsn: str, rows: int = ROWS) -> None:
    """Create the lab's tables in ``dsn`` and insert ``rows`` items."""
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(DDL)
        await connection.execute(SEED, rows)
        await connection.execute("ANALYZE items")
    finally:
        await connection.close()
