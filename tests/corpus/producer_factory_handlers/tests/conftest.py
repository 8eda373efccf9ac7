"""Fixtures shared by unit and integration tests."""

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from aiokafka.errors import KafkaConnectionError  # type: ignore[import-untyped]
from alembic import command
from alembic.config import Config
from fastapi.testclient import TestClient

from app.core.database import engine
from app.main import app

ROOT = Path(__file__).resolve().parents[1]


class FakeKafkaProducer:
    """Stands in for AIOKafkaProducer; fails the first ``failures`` sends."""

    instances: ClassVar[list["FakeKafkaProducer"]] = []

    def __init__(self, failures: int = 0, **options: Any) -> None:
        self.options = options
        self.failures = failures
        self.sent: list[tuple[str, bytes, bytes]] = []
        self.running = False
        FakeKafkaProducer.instances.append(self)

    async def start(self) -> None:
        self.running = True

    async def stop(self) -> None:
        self.running = False

    async def send_and_wait(self, topic: str, value: bytes, key: bytes) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise KafkaConnectionError("broker unavailable")
        self.sent.append((topic, value, key))


@pytest.fixture
def fake_producer_factory() -> type[FakeKafkaProducer]:
    """The fake producer class, with its instance list reset."""
    FakeKafkaProducer.instances = []
    return FakeKafkaProducer


@pytest.fixture(scope="session")
def alembic_cfg() -> Config:
    """The project's Alembic configuration."""
    return Config(str(ROOT / "alembic.ini"))


@pytest.fixture(scope="session")
def schema(alembic_cfg: Config) -> Iterator[None]:
    """Migrate the test database to head once."""
    command.upgrade(alembic_cfg, "head")
    yield


@pytest.fixture(autouse=True)
async def release_pool() -> AsyncIterator[None]:
    """Close pooled connections so no connection outlives its event loop."""
    yield
    await engine.dispose()


@pytest.fixture
def api(schema: None) -> Iterator[TestClient]:
    """HTTP client on ``app.main:app`` with its lifespan."""
    with TestClient(app) as client:
        yield client
