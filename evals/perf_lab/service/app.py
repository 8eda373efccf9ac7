"""The app factory: engine, session factory, middleware and relay from the variant's choices."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Callable

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import (  # type: ignore[import-not-found, unused-ignore]
    AsyncEngine,
    async_sessionmaker,
    create_async_engine,
)

from evals.perf_lab.service.middleware import (
    AccessLogMiddleware,
    RequestIdHTTPMiddleware,
    RequestIdMiddleware,
    configure_access_log,
)
from evals.perf_lab.service.relay import running_relay
from evals.perf_lab.service.router import router
from evals.perf_lab.variants import CHOICES_ENV, DSN_ENV, Choices

ASYNC_SCHEME = "postgresql+asyncpg://"


def make_engine(dsn: str, choices: Choices) -> AsyncEngine:
    """An asyncpg engine with a fixed-size pool (``AUTOCOMMIT`` without transactions)."""
    url = dsn.replace("postgresql://", ASYNC_SCHEME, 1)
    options: dict[str, object] = {"pool_size": choices.pool_size, "max_overflow": 0}
    if not choices.transaction:
        options["isolation_level"] = "AUTOCOMMIT"
    engine: AsyncEngine = create_async_engine(url, **options)
    return engine


def lifespan(dsn: str) -> Callable[[FastAPI], contextlib.AbstractAsyncContextManager[None]]:
    """The lifespan: engine and session factory in ``app.state``, the relay when chosen."""

    @contextlib.asynccontextmanager
    async def run(app: FastAPI) -> AsyncIterator[None]:
        choices: Choices = app.state.choices
        engine = make_engine(dsn, choices)
        app.state.sessionmaker = async_sessionmaker(engine, expire_on_commit=False)
        async with contextlib.AsyncExitStack() as stack:
            if choices.relay:
                await stack.enter_async_context(running_relay(engine))
            yield
        await engine.dispose()

    return run


def create_app(dsn: str, choices: Choices) -> FastAPI:
    """The service on the ``postgresql://`` database ``dsn``, built as ``choices`` say."""
    app = FastAPI(title="perf-lab items", lifespan=lifespan(dsn))
    app.state.choices = choices
    app.include_router(router)
    app.add_middleware(RequestIdHTTPMiddleware if choices.base_http else RequestIdMiddleware)
    if choices.access_log:
        configure_access_log()
        app.add_middleware(AccessLogMiddleware)
    return app


def from_env() -> FastAPI:
    """The uvicorn factory: :func:`create_app` from :data:`DSN_ENV` and :data:`CHOICES_ENV`."""
    return create_app(os.environ[DSN_ENV], Choices.from_json(os.environ.get(CHOICES_ENV, "")))
