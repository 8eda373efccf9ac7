"""FastAPI application factory and the ASGI ``app`` (``app.main:app``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from app.api.errors import UnexpectedErrorMiddleware, register_exception_handlers
from app.api.middleware import CorrelationIdMiddleware
from app.api.routes import health, orders
from app.core.config import Settings, load_settings
from app.core.database import (
    create_engine,
    create_read_session_factory,
    create_session_factory,
)
from app.core.logging import configure_logging
from app.core.runtime import tune_garbage_collector
from app.kafka.producer import EventPublisher, build_producer
from app.services.health import ReadinessCache

DESCRIPTION = (
    "Order service: REST API over PostgreSQL; publishes order events to "
    "`orders.v1` through a transactional outbox and consumes `payments.v1`."
)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Open the engine and producer on start-up; close them on shutdown.

    A Kafka outage does not stop the API from starting: writes go to the
    outbox, and readiness reports Kafka as unreachable until it returns.

    Args:
        app: The application.

    Yields:
        Control while the application serves requests.
    """
    settings: Settings = getattr(app.state, "settings", None) or load_settings()
    configure_logging(settings.log_level)
    app.state.settings = settings
    app.state.engine = create_engine(settings)
    app.state.session_factory = create_session_factory(app.state.engine)
    app.state.read_session_factory = create_read_session_factory(app.state.engine)
    app.state.publisher = EventPublisher(lambda: build_producer(settings))
    app.state.readiness_cache = ReadinessCache(ttl_s=settings.health_cache_ttl_s)
    await app.state.publisher.start()
    tune_garbage_collector()  # start-up objects are permanent from here on
    try:
        yield
    finally:
        await app.state.publisher.stop()
        await app.state.engine.dispose()


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application.

    Args:
        settings: Settings to use; loaded from the environment at start-up
            when omitted (so importing this module needs no configuration).

    Returns:
        The configured FastAPI application.
    """
    application = FastAPI(
        title="Order Service",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    application.state.settings = settings
    # Added first, so it runs inside the correlation-id middleware.
    application.add_middleware(UnexpectedErrorMiddleware)
    application.add_middleware(CorrelationIdMiddleware)
    register_exception_handlers(application)
    application.include_router(health.router)
    application.include_router(orders.router)
    return application


configure_logging()
app = create_app()
