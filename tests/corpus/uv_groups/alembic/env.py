"""Alembic migration environment using the async engine."""

import asyncio
from logging.config import fileConfig

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from app.core.config import InventorySettings
from app.models import Base

if context.config.config_file_name is not None:
    fileConfig(context.config.config_file_name, disable_existing_loggers=False)


def _configured_url() -> str:
    url = context.config.get_main_option("sqlalchemy.url")
    return url or InventorySettings().database_url.get_secret_value()


def _apply(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=Base.metadata)
    with context.begin_transaction():
        context.run_migrations()


async def _migrate() -> None:
    engine = create_async_engine(_configured_url())
    async with engine.connect() as connection:
        await connection.run_sync(_apply)
        await connection.commit()
    await engine.dispose()


asyncio.run(_migrate())
