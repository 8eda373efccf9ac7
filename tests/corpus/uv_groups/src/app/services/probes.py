"""Dependency probes for readiness."""

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from app.exceptions import NotReady


async def database_answers(session: AsyncSession) -> None:
    """Raise :class:`NotReady` unless ``SELECT 1`` succeeds.

    Raises:
        NotReady: If the database does not answer.
    """
    try:
        await session.execute(text("SELECT 1"))
    except (OperationalError, DBAPIError, OSError) as exc:
        raise NotReady("database") from exc
