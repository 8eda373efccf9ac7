"""Application object ``app``; resources are opened by the lifespan."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from app.api.middleware import correlation_and_access_log
from app.api.routes import health, notes
from app.core.config import load_settings
from app.core.database import make_engine, make_session_factory
from app.core.logging import setup_logging
from app.exceptions.handlers import register_error_handlers


@asynccontextmanager
async def lifespan(application: FastAPI) -> AsyncIterator[None]:
    """Create the engine on start-up and dispose of it on shutdown."""
    settings = load_settings()
    setup_logging(settings.log_level)
    engine = make_engine(settings)
    application.state.settings = settings
    application.state.session_factory = make_session_factory(engine)
    try:
        yield
    finally:
        await engine.dispose()


app = FastAPI(
    title="Notes service",
    version="2.1.0",
    summary="Notes with revisions, moderated through Kafka.",
    lifespan=lifespan,
)
app.middleware("http")(correlation_and_access_log)
register_error_handlers(app)
app.include_router(health.router)
app.include_router(notes.router)
