"""Fixtures: settings, migrated database, fake Kafka clients and the app."""

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pytest
from alembic import command
from alembic.config import Config
from fastapi.testclient import TestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.config import Settings
from app.core.database import Sessions, create_engine, create_sessions
from app.kafka.workers import KafkaClients
from app.main import build_app
from tests.fakes import FakeConsumer, FakeProducer

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class FakeKafka:
    """The fake clients an app under test uses."""

    producer: FakeProducer
    consumer: FakeConsumer

    def clients(self) -> KafkaClients:
        """Factories returning the fakes."""
        return KafkaClients(
            producer=lambda _: cast(Any, self.producer),
            consumer=lambda _: cast(Any, self.consumer),
        )


@pytest.fixture(scope="session")
def settings() -> Settings:
    """Settings from the environment; the relay idles between the tests' requests."""
    return Settings(_env_file=None, relay_poll_seconds=5.0, worker_restart_seconds=0.01)


@pytest.fixture(scope="session")
def alembic_config() -> Config:
    """Alembic configuration of the project."""
    return Config(str(ROOT / "alembic.ini"))


@pytest.fixture(scope="session")
def migrated(alembic_config: Config) -> Iterator[None]:
    """Upgrade the database to head once per session."""
    command.upgrade(alembic_config, "head")
    yield


@pytest.fixture
async def engine(settings: Settings, migrated: None) -> AsyncIterator[AsyncEngine]:
    """An engine on the migrated database."""
    created = create_engine(settings)
    yield created
    await created.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> Sessions:
    """Session factory on :func:`engine`."""
    return create_sessions(engine)


@pytest.fixture
def kafka() -> FakeKafka:
    """Fresh fake clients."""
    return FakeKafka(FakeProducer(), FakeConsumer())


@pytest.fixture
def client(settings: Settings, migrated: None, kafka: FakeKafka) -> Iterator[TestClient]:
    """The app with its lifespan (and background workers) running on fake Kafka."""
    with TestClient(build_app(settings, kafka.clients())) as test_client:
        yield test_client
