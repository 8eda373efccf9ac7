"""Readiness probe of the storage."""

from __future__ import annotations

from sqlalchemy.exc import SQLAlchemyError

from app.exceptions import StorageUnavailable
from app.services.unit_of_work import AbstractUnitOfWork


async def storage_ready(uow: AbstractUnitOfWork) -> None:
    """Ping the database through a unit of work.

    Raises:
        StorageUnavailable: If the database does not answer.
    """
    try:
        async with uow:
            await uow.ping()
    except (SQLAlchemyError, OSError) as exc:
        raise StorageUnavailable() from exc
