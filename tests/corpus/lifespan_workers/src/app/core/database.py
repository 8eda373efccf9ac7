"""Engine construction and the unit-of-work session scope."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from app.core.config import Settings

Sessions = async_sessionmaker[AsyncSession]


def create_engine(settings: Settings) -> AsyncEngine:
    """Build the asyncpg engine with the configured pool."""
    return create_async_engine(
        settings.postgres_dsn.get_secret_value(),
        pool_size=settings.pool_size,
        max_overflow=settings.pool_overflow,
        pool_timeout=settings.pool_timeout,
        pool_recycle=settings.pool_recycle,
        pool_pre_ping=False,
    )


def create_sessions(engine: AsyncEngine) -> Sessions:
    """Session factory whose objects stay usable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def session_scope(sessions: Sessions) -> AsyncIterator[AsyncSession]:
    """Open a session; commit if the block succeeds, roll back if it raises."""
    session = sessions()
    try:
        yield session
        await session.commit()
    except BaseException:
        await session.rollback()
        raise
    finally:
        await session.close()


async def is_database_up(engine: AsyncEngine) -> bool:
    """Return whether ``SELECT 1`` succeeds."""
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception:
        return False
    return True
