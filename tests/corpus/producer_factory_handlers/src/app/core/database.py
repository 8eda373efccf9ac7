"""The process-wide async engine and the transactional session helper."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from app.core.config import AppSettings, load_settings


def make_engine(cfg: AppSettings) -> AsyncEngine:
    """Create the asyncpg engine with an explicitly sized pool."""
    return create_async_engine(
        cfg.database_url.get_secret_value(),
        pool_size=cfg.pool_size,
        max_overflow=cfg.pool_max_overflow,
        pool_timeout=cfg.pool_timeout_s,
        pool_recycle=cfg.pool_recycle_s,
        pool_pre_ping=True,
    )


engine = make_engine(load_settings())
SessionFactory = async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def transaction() -> AsyncIterator[AsyncSession]:
    """Yield a session inside ``session.begin()``: commit on exit, rollback on error."""
    async with SessionFactory() as session, session.begin():
        yield session


async def ping() -> None:
    """Run ``SELECT 1``; raises when PostgreSQL is unreachable."""
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
