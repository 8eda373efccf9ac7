"""Application factory: ``uvicorn app.main:create_app --factory``."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from app.api.errors import register_error_handlers
from app.api.middleware import CorrelationMiddleware
from app.api.routes import health, invoices
from app.core.config import Settings, get_settings
from app.core.database import build_engine, build_session_factory
from app.core.logging import configure_logging


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Open the database pool at start-up and dispose of it on shutdown."""
    settings: Settings = app.state.settings
    engine = build_engine(settings)
    app.state.engine = engine
    app.state.sessions = build_session_factory(engine)
    try:
        yield
    finally:
        await engine.dispose()


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build a configured FastAPI application.

    Args:
        settings: Settings to use; read from the environment when omitted.

    Returns:
        The application, ready to be served.
    """
    settings = settings or get_settings()
    configure_logging(settings.log_level)
    app = FastAPI(
        title="Invoice Service",
        version="0.3.0",
        description="Issues invoices and settles them from payment events.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.add_middleware(CorrelationMiddleware)
    register_error_handlers(app)
    app.include_router(health.router)
    app.include_router(invoices.router)
    return app
