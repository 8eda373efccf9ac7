"""FastAPI dependency providers and their ``Annotated`` aliases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import partial
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.core.database import driver_connection, ping, session_scope
from app.core.logging import get_correlation_id
from app.services.health import HealthService
from app.services.orders import (
    OrderReader,
    OrderService,
    create_order_reader,
    create_order_service,
)

READ_ONLY_METHODS = frozenset({"GET", "HEAD"})


async def get_app_settings(request: Request) -> Settings:
    """Return the settings the application was started with.

    Args:
        request: The current request.

    Returns:
        The settings.
    """
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_app_settings)]


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """Provide one session per request: commit on success, roll back on error.

    ``GET``/``HEAD`` requests only read, so they get an autocommit session
    (no ``BEGIN``/``COMMIT`` round trips); every other method gets a
    transaction.

    Args:
        request: The current request.

    Yields:
        The request's session.
    """
    state = request.app.state
    reads = request.method in READ_ONLY_METHODS
    factory = state.read_session_factory if reads else state.session_factory
    async with session_scope(factory) as session:
        yield session


# scope="function": the commit runs before the response is sent, so a failed
# commit becomes an error response instead of happening after a 2xx.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


async def get_request_correlation_id() -> str | None:
    """Return the correlation id bound by the middleware.

    Returns:
        The correlation id of the current request.
    """
    return get_correlation_id()


CorrelationIdDep = Annotated[str | None, Depends(get_request_correlation_id)]


async def get_order_service(session: SessionDep, settings: SettingsDep) -> OrderService:
    """Build the order service on the request's session.

    Args:
        session: The request's session.
        settings: Application settings.

    Returns:
        The order service.
    """
    return create_order_service(session, orders_topic=settings.orders_topic)


OrderServiceDep = Annotated[OrderService, Depends(get_order_service)]


async def get_order_reader(request: Request) -> AsyncIterator[OrderReader]:
    """Build the read-only order service on a pooled driver connection.

    One flat dependency for ``GET /orders/{id}``: no session, no settings,
    no transaction. The connection goes back to the pool before the response
    is sent.

    Args:
        request: The current request.

    Yields:
        The read-only order service.
    """
    async with driver_connection(request.app.state.engine) as connection:
        yield create_order_reader(connection)


OrderReaderDep = Annotated[OrderReader, Depends(get_order_reader, scope="function")]


async def get_health_service(request: Request, settings: SettingsDep) -> HealthService:
    """Build the health service from the application's engine and producer.

    Args:
        request: The current request.
        settings: Application settings.

    Returns:
        The health service.
    """
    publisher = request.app.state.publisher
    return HealthService(
        database_check=partial(ping, request.app.state.engine),
        kafka_check=partial(publisher.is_healthy, settings.kafka_health_timeout_s),
        timeout_s=settings.kafka_health_timeout_s,
        cache=request.app.state.readiness_cache,
    )


HealthServiceDep = Annotated[HealthService, Depends(get_health_service)]
