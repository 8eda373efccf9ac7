"""Shared fixtures: settings, a migrated database and the running app."""

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from alembic import command
from alembic.config import Config
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.config import Settings
from app.core.database import SessionFactory, build_engine, build_session_factory
from app.main import create_app
from tests.fakes import FakeSender

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def database_url() -> str:
    """The PostgreSQL database of the run; integration tests skip without one."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        pytest.skip("DATABASE_URL is not set")
    return url


@pytest.fixture(scope="session")
async def migrated(database_url: str) -> str:
    """Apply every migration to the run's database once."""
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("sqlalchemy.url", database_url)
    await asyncio.to_thread(command.upgrade, config, "head")
    return database_url


@pytest.fixture(scope="session")
def settings(migrated: str) -> Settings:
    """Settings pointing at the migrated database and a broker that is never used."""
    return Settings(
        database_url=SecretStr(migrated),
        kafka_bootstrap_servers="localhost:9",
        relay_interval_s=0.05,
        db_pool_size=2,
    )


@pytest.fixture(scope="session")
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    """An engine on the run's database."""
    created = build_engine(settings)
    yield created
    await created.dispose()


@pytest.fixture(scope="session")
def sessions(engine: AsyncEngine) -> SessionFactory:
    """Session factory on the run's database."""
    return build_session_factory(engine)


@pytest.fixture
def sender() -> FakeSender:
    """The Kafka producer double the app publishes through."""
    return FakeSender()


@pytest.fixture
async def app(settings: Settings, sender: FakeSender) -> AsyncIterator[FastAPI]:
    """The application with its lifespan running."""
    application = create_app(settings, sender_factory=lambda _: sender)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client calling the app in-process."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http
