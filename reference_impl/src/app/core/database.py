"""Async SQLAlchemy engine, session factory and the unit-of-work scope."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.util import greenlet_spawn

from app.core.config import Settings

SessionFactory = async_sessionmaker[AsyncSession]


def create_engine(settings: Settings) -> AsyncEngine:
    """Create the async engine with an explicitly sized connection pool.

    Args:
        settings: Application settings carrying the URL and pool options.

    Returns:
        A lazily-connecting async engine.
    """
    engine = create_async_engine(
        settings.database_url.get_secret_value(),
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout,
        pool_recycle=settings.db_pool_recycle,
        pool_pre_ping=settings.db_pool_pre_ping,
        echo=settings.db_echo,
    )
    event.listen(engine.sync_engine, "checkout", reject_closed_connection)
    return engine


def reject_closed_connection(
    dbapi_connection: Any, connection_record: Any, connection_proxy: Any
) -> None:
    """Pool ``checkout`` hook: replace connections the server has closed.

    A local check with no round trip (asyncpg notices a closed socket), so
    it runs on every checkout. ``pool_pre_ping`` additionally catches
    silently dropped connections, at the price of three round trips per
    checkout with asyncpg (``BEGIN``, ``;``, ``ROLLBACK``).

    Args:
        dbapi_connection: The pooled DBAPI connection (unused).
        connection_record: Its pool record, holding the driver connection.
        connection_proxy: The checkout proxy (unused).

    Raises:
        DisconnectionError: So the pool discards it and connects again.
    """
    if connection_record.driver_connection.is_closed():
        msg = "connection was closed by the server"
        raise DisconnectionError(msg)


def create_session_factory(engine: AsyncEngine) -> SessionFactory:
    """Create the session factory bound to ``engine``.

    Args:
        engine: The async engine.

    Returns:
        A factory producing sessions that keep loaded objects after commit.
    """
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


def create_read_session_factory(engine: AsyncEngine) -> SessionFactory:
    """Create the session factory for read-only requests.

    Its sessions run in autocommit mode, so a read costs no ``BEGIN`` /
    ``COMMIT`` round trips; each statement is still atomic on its own. Use
    it only for units of work that write nothing.

    Args:
        engine: The async engine (its pool is shared).

    Returns:
        A factory producing autocommit sessions.
    """
    return create_session_factory(
        engine.execution_options(isolation_level="AUTOCOMMIT")
    )


@asynccontextmanager
async def session_scope(factory: SessionFactory) -> AsyncIterator[AsyncSession]:
    """Run one unit of work: commit on success, roll back on any error.

    Args:
        factory: Session factory to open the session from.

    Yields:
        The session; it is committed when the block exits normally.

    Raises:
        BaseException: Whatever the block raised, after rolling back.
    """
    async with factory() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


@asynccontextmanager
async def driver_connection(engine: AsyncEngine) -> AsyncIterator[Any]:
    """Check one driver (asyncpg) connection out of the pool, for reads only.

    Lighter than a session or an ``AsyncConnection`` (no unit of work, no
    transaction): statements run on the driver in autocommit. The pool's
    checkout hook still applies, and returning the connection resets it.

    Args:
        engine: The async engine whose pool is used.

    Yields:
        The driver connection; it goes back to the pool when the block exits.
    """
    proxied = await engine.raw_connection()
    try:
        yield proxied.driver_connection
    finally:
        await greenlet_spawn(proxied.close)


async def ping(engine: AsyncEngine) -> None:
    """Run ``SELECT 1`` to prove the database is reachable.

    Args:
        engine: The engine to check.
    """
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
