"""Shared fixtures.

Integration fixtures migrate the database named by ``DATABASE_URL`` once per session
and skip when it is not set. Kafka is never contacted: ``RecordingProducer`` and
``ScriptedConsumer`` stand in for the aiokafka clients.
"""

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.core.config import InventorySettings, settings
from app.core.database import engine_from, sessionmaker_for
from app.main import app


@dataclass
class RecordingProducer:
    """Captures sends; raises ``error`` instead when set."""

    error: Exception | None = None
    sent: list[tuple[str, bytes, bytes]] = field(default_factory=list)
    running: bool = False

    async def start(self) -> None:
        self.running = True

    async def stop(self) -> None:
        self.running = False

    async def send_and_wait(self, topic: str, value: bytes, *, key: bytes) -> None:
        if self.error is not None:
            raise self.error
        self.sent.append((topic, value, key))


@dataclass(frozen=True)
class Partition:
    """Stand-in for ``TopicPartition``."""

    partition: int


@dataclass
class Record:
    """Stand-in for ``ConsumerRecord``."""

    value: bytes
    offset: int = 0


@dataclass
class ScriptedConsumer:
    """Returns the scripted batches, then blocks like an idle consumer."""

    batches: list[list[Record]] = field(default_factory=list)
    commits: int = 0
    running: bool = False
    drained: asyncio.Event = field(default_factory=asyncio.Event)

    async def start(self) -> None:
        self.running = True

    async def stop(self) -> None:
        self.running = False

    async def getmany(self, *, timeout_ms: int, max_records: int) -> dict[Any, list[Record]]:
        if not self.batches:
            self.drained.set()
            await asyncio.sleep(3600)
        return {Partition(0): self.batches.pop(0)}

    async def commit(self) -> None:
        self.commits += 1

    def assignment(self) -> set[Any]:
        return {Partition(0)} if self.commits else set()

    def highwater(self, partition: Any) -> int | None:
        return 10 if self.commits < 2 else None

    async def committed(self, partition: Any) -> int | None:
        return 4


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Service variables for code that reads the settings."""
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://inv@127.0.0.1:9/inv")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9")
    settings.cache_clear()
    yield
    settings.cache_clear()


@pytest.fixture(scope="session")
async def migrated_url() -> str:
    """``DATABASE_URL`` after ``alembic upgrade head``."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        pytest.skip("set DATABASE_URL to run integration tests")
    os.environ.setdefault("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9")
    config = Config(str(Path(__file__).parents[1] / "alembic.ini"))
    config.set_main_option("sqlalchemy.url", url)
    await asyncio.to_thread(command.upgrade, config, "head")
    return url


@pytest.fixture(scope="session")
async def engine(migrated_url: str) -> AsyncIterator[AsyncEngine]:
    """Engine on the migrated database."""
    created = engine_from(InventorySettings())
    yield created
    await created.dispose()


@pytest.fixture(scope="session")
def maker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Session factory on the migrated database."""
    return sessionmaker_for(engine)


@pytest.fixture
async def api(migrated_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """HTTP client on the app with its lifespan running."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://inventory") as c:
            yield c
