"""Engine, pool and session factories against real PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from app.core.config import Settings
from app.core.database import (
    create_engine,
    create_read_session_factory,
    create_session_factory,
)

pytestmark = pytest.mark.integration


async def test_connection_closed_by_the_server_is_replaced(settings: Settings) -> None:
    engine = create_engine(
        settings.model_copy(update={"db_pool_size": 1, "db_max_overflow": 0})
    )
    try:
        async with engine.connect() as connection:
            pid = await connection.scalar(text("SELECT pg_backend_pid()"))
        admin = create_engine(settings)
        async with admin.connect() as connection:
            await connection.execute(
                text("SELECT pg_terminate_backend(:p)"), {"p": pid}
            )
        await admin.dispose()
        await asyncio.sleep(0.2)  # let asyncpg notice the closed socket
        async with engine.connect() as connection:
            assert await connection.scalar(text("SELECT pg_backend_pid()")) != pid
    finally:
        await engine.dispose()


async def test_read_sessions_autocommit_and_write_sessions_do_not(
    settings: Settings,
) -> None:
    engine = create_engine(settings)
    try:
        for factory, expected in (
            (create_read_session_factory(engine), "AUTOCOMMIT"),
            (create_session_factory(engine), None),
        ):
            async with factory() as session:
                connection = (await session.connection()).sync_connection
                assert connection is not None
                options = connection.get_execution_options()
                assert options.get("isolation_level") == expected
    finally:
        await engine.dispose()
