"""The ASGI application: ``app.main:app``."""

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI

from app.api.dependencies import Resources
from app.api.middleware import CorrelationIdMiddleware
from app.api.routes import health, tickets
from app.core.config import Settings, get_settings
from app.core.database import build_engine, build_session_factory
from app.core.logging import configure_logging
from app.exceptions.handlers import install_exception_handlers
from app.kafka.producer import EventPublisher, Sender, build_producer
from app.kafka.relay import OutboxRelay

SenderFactory = Callable[[Settings], Sender]


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Open the engine and the producer, run the outbox relay, then close everything."""
    config: Settings = app.state.settings or get_settings()
    configure_logging(config.log_level)
    engine = build_engine(config)
    sessions = build_session_factory(engine)
    sender: Sender = app.state.sender_factory(config)
    await sender.start()
    publisher = EventPublisher(sender, config.kafka_send_attempts, 0.2)
    relay = OutboxRelay(sessions, publisher, config.relay_batch_size)
    stop = asyncio.Event()
    relay_task = asyncio.create_task(relay.run(stop, config.relay_interval_s))
    app.state.resources = Resources(config, engine, sessions)
    try:
        yield
    finally:
        stop.set()
        await relay_task
        await sender.stop()
        await engine.dispose()


def create_app(
    settings: Settings | None = None, sender_factory: SenderFactory = build_producer
) -> FastAPI:
    """Assemble the application; settings are read at start-up when not given."""
    application = FastAPI(
        title="Ticket service",
        version="1.0.0",
        description="Helpdesk tickets with a transactional outbox.",
        lifespan=lifespan,
    )
    application.state.settings = settings
    application.state.sender_factory = sender_factory
    application.add_middleware(CorrelationIdMiddleware)
    install_exception_handlers(application)
    application.include_router(health.router)
    application.include_router(tickets.router)
    return application


app = create_app()
