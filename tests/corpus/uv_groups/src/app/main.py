"""ASGI entry point: ``app.main:app``."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from fastapi import FastAPI

from app.api import errors
from app.api.middleware import RequestContextMiddleware
from app.api.routes import health, items
from app.core.config import settings
from app.core.database import engine_from, sessionmaker_for
from app.core.logging import configure

log = structlog.get_logger(__name__)


@asynccontextmanager
async def lifespan(application: FastAPI) -> AsyncIterator[None]:
    """Open the connection pool; dispose of it when the server stops."""
    config = settings()
    configure(config.log_level, config.json_logs)
    engine = engine_from(config)
    application.state.sessionmaker = sessionmaker_for(engine)
    log.info("started", service="inventory")
    yield
    await engine.dispose()
    log.info("stopped", service="inventory")


def build_application() -> FastAPI:
    """Wire routers, middleware and error handlers."""
    application = FastAPI(title="Inventory", version="0.9.0", lifespan=lifespan, docs_url="/docs")
    application.add_middleware(RequestContextMiddleware)
    errors.install(application)
    application.include_router(health.router)
    application.include_router(items.router)
    return application


app = build_application()
