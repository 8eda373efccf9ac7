"""Migrations: up, down, up again on an empty database, then no model drift."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, inspect
from sqlalchemy.ext.asyncio import create_async_engine

from app.models import Base
from tests.support import infra

pytestmark = pytest.mark.integration


def _diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def test_upgrade_downgrade_upgrade_leaves_no_drift(
    admin_database_url: str, run_id: str
) -> None:
    name = f"orders_migrations_{run_id}"
    async with infra.temporary_database(admin_database_url, name) as url:
        engine = create_async_engine(url)
        try:
            await infra.alembic(url, "upgrade", "head")
            await infra.alembic(url, "downgrade", "base")
            async with engine.connect() as connection:
                assert await connection.run_sync(_tables) == {"alembic_version"}
            await infra.alembic(url, "upgrade", "head")
            async with engine.connect() as connection:
                tables = await connection.run_sync(_tables)
                diff = await connection.run_sync(_diff)
        finally:
            await engine.dispose()
    assert {"orders", "order_items", "outbox_events", "processed_events"} <= tables
    assert diff == []
