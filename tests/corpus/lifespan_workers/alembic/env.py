"""Async Alembic environment; the DSN comes from the service settings."""

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from app.core.config import Settings
from app.core.database import create_engine
from app.models import Base


def do_run_migrations(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=Base.metadata)
    with context.begin_transaction():
        context.run_migrations()


async def run_async_migrations() -> None:
    engine = create_engine(Settings())
    async with engine.connect() as connection:
        await connection.run_sync(do_run_migrations)
    await engine.dispose()


if context.is_offline_mode():
    context.configure(url=Settings().postgres_dsn.get_secret_value(), target_metadata=Base.metadata)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(run_async_migrations())
