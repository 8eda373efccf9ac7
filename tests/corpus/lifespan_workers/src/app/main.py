"""ASGI entry point ``app.main:app``; the lifespan runs the Kafka workers."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from app.api.handlers import add_exception_handlers
from app.api.middleware import CorrelationIdMiddleware
from app.api.routes import health, products
from app.core.config import Settings, settings_from_env
from app.core.database import create_engine, create_sessions
from app.core.logging import init_logging
from app.kafka.workers import BackgroundWorkers, KafkaClients


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Open the pool and start the relay and consumer; stop all of it on shutdown."""
    engine = create_engine(app.state.settings)
    app.state.engine = engine
    app.state.sessions = create_sessions(engine)
    workers = BackgroundWorkers(app.state.settings, app.state.sessions, app.state.kafka)
    workers.start()
    try:
        yield
    finally:
        await workers.shutdown()
        await engine.dispose()


def build_app(settings: Settings | None = None, kafka: KafkaClients | None = None) -> FastAPI:
    """Assemble the application (tests pass their own settings and Kafka clients)."""
    settings = settings or settings_from_env()
    init_logging(settings.log_level)
    application = FastAPI(title="Inventory Service", version="2.0.1", lifespan=lifespan)
    application.state.settings = settings
    application.state.kafka = kafka or KafkaClients()
    application.add_middleware(CorrelationIdMiddleware)
    add_exception_handlers(application)
    application.include_router(health.router)
    application.include_router(products.router)
    return application


app = build_app()
