"""Migrations are reversible."""

import asyncio

from alembic import command
from alembic.config import Config
from sqlalchemy import inspect

from app.core.database import engine


async def test_round_trip(alembic_cfg: Config, schema: None) -> None:
    await engine.dispose()
    await asyncio.to_thread(command.downgrade, alembic_cfg, "base")
    await asyncio.to_thread(command.upgrade, alembic_cfg, "head")
    async with engine.connect() as connection:
        tables = await connection.run_sync(
            lambda sync: set(inspect(sync).get_table_names())
        )
    assert {"bookings", "guests", "outbox", "inbox"} <= tables
