"""Fixtures: the run's database (migrated once), sessions and the HTTP client."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.config import load_settings
from app.core.database import make_engine, make_session_factory
from app.main import app
from tests.fakes import FakeUnitOfWork

PROJECT = Path(__file__).parent.parent


@pytest.fixture
def uow() -> FakeUnitOfWork:
    """An in-memory Unit of Work."""
    return FakeUnitOfWork()


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Minimal service environment for unit tests."""
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://notes@localhost:9/notes")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "localhost:9")


@pytest.fixture(scope="session")
async def database() -> str:
    """DATABASE_URL migrated to head; integration tests skip without it."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        pytest.skip("integration tests need DATABASE_URL")
    os.environ.setdefault("KAFKA_BOOTSTRAP_SERVERS", "localhost:9")
    config = Config(str(PROJECT / "alembic.ini"))
    config.set_main_option("sqlalchemy.url", url)
    await asyncio.to_thread(command.upgrade, config, "head")
    return url


@pytest.fixture(scope="session")
async def session_factory(database: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on the migrated database."""
    engine = make_engine(load_settings())
    yield make_session_factory(engine)
    await engine.dispose()


@pytest.fixture
async def client(database: str) -> AsyncIterator[httpx.AsyncClient]:
    """HTTP client on the app, lifespan included."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://notes") as c:
            yield c
