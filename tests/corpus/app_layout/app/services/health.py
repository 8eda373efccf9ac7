"""Readiness of the service's dependencies."""

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from app.exceptions import DependencyUnavailableError


async def check_database(engine: AsyncEngine) -> None:
    """Run ``SELECT 1``.

    Raises:
        DependencyUnavailableError: If the database cannot be reached.
    """
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except (SQLAlchemyError, OSError) as exc:
        raise DependencyUnavailableError("database is unreachable") from exc
