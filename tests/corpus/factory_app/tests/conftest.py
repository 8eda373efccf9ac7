"""Shared fixtures: settings, a migrated database, sessions and an HTTP client."""

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from fastapi.testclient import TestClient
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.core.config import Settings
from app.core.database import build_engine, build_session_factory
from app.main import create_app

PROJECT_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def settings() -> Settings:
    """Settings from the environment (DATABASE_URL is set by the test runner)."""
    return Settings(_env_file=None, db_pool_size=2, db_max_overflow=2)


@pytest.fixture(scope="session")
def alembic_config() -> Config:
    """Alembic configuration of the project."""
    return Config(str(PROJECT_ROOT / "alembic.ini"))


@pytest.fixture(scope="session")
def migrated(alembic_config: Config) -> Iterator[None]:
    """Apply every migration once for the test session."""
    command.upgrade(alembic_config, "head")
    yield


@pytest.fixture
async def engine(settings: Settings, migrated: None) -> AsyncIterator[AsyncEngine]:
    """A pooled engine on the migrated database."""
    created = build_engine(settings)
    yield created
    await created.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """A session factory on :func:`engine`."""
    return build_session_factory(engine)


@pytest.fixture
def client(settings: Settings, migrated: None) -> Iterator[TestClient]:
    """The app built by the factory, with its lifespan running."""
    with TestClient(create_app(settings)) as test_client:
        yield test_client
