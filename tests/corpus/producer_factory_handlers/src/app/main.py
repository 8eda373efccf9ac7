"""The ASGI application ``app.main:app``."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from app.api.error_handlers import install_error_handlers
from app.api.middleware import RequestContextMiddleware
from app.api.routes import bookings, probes
from app.core.config import load_settings
from app.core.database import engine
from app.core.logging import setup_logging


@asynccontextmanager
async def lifespan(_: FastAPI) -> AsyncIterator[None]:
    """Configure logging on start-up; release the connection pool on shutdown."""
    setup_logging(load_settings().log_level)
    yield
    await engine.dispose()


app = FastAPI(
    title="Booking Service",
    version="1.2.0",
    summary="Room bookings confirmed by payment events.",
    lifespan=lifespan,
)
app.add_middleware(RequestContextMiddleware)
install_error_handlers(app)
app.include_router(probes.router)
app.include_router(bookings.router)
