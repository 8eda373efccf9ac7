"""Engine construction and the request-scoped transactional session."""

from collections.abc import AsyncIterator

from fastapi import Request
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from app.core.config import InventorySettings


def engine_from(config: InventorySettings) -> AsyncEngine:
    """A pooled asyncpg engine."""
    return create_async_engine(
        config.database_url.get_secret_value(),
        pool_size=config.db_pool_size,
        max_overflow=config.db_pool_overflow,
        pool_timeout=config.db_pool_timeout_s,
        pool_recycle=config.db_pool_recycle_s,
        pool_pre_ping=True,
    )


def sessionmaker_for(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions bound to ``engine``."""
    return async_sessionmaker(engine, expire_on_commit=False)


async def db_session(request: Request) -> AsyncIterator[AsyncSession]:
    """Yield a session inside ``session.begin()``: commit on success, rollback on error."""
    maker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with maker() as session, session.begin():
        yield session
