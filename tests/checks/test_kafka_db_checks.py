"""Unit tests of the Kafka and database pattern checks on a tiny event-driven project.

``GOOD`` is a minimal project that passes every check here; each failing case edits one
file of it (the edit must apply) and names the item and the reason it must fail for.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from evals.facts.patterns import UNKNOWN, SettingsField, module_call_sites, resolve
from evals.facts.source import PythonModule
from evals.model import Outcome, Status, Tier
from evals.testing import compute_check

CONFIG = """
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings

class Settings(BaseSettings):
    database_url: SecretStr
    orders_topic: str = "orders.v1"
    payments_topic: str = Field(default="payments.v1")
    payments_dlq_topic: str = "payments.v1.dlq"
    kafka_acks: str = "all"
    db_pool_size: int = 5
"""
PRODUCER = """
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

def build_producer(settings):
    return AIOKafkaProducer(
        bootstrap_servers="localhost:9092",
        acks=settings.kafka_acks,
        retry_backoff_ms=200,
        request_timeout_ms=10000,
    )

async def publish(producer, topic, value):
    try:
        await producer.send_and_wait(topic, value)
    except KafkaError:
        raise
"""
CONSUMER = """
import asyncio
import logging
import signal

from aiokafka import AIOKafkaConsumer
from prometheus_client import Gauge

from app.schemas.events import EventEnvelope

LAG = Gauge("consumer_lag", "lag", ["partition"])
logger = logging.getLogger(__name__)

def build_consumer(settings):
    return AIOKafkaConsumer("payments.v1", enable_auto_commit=False)

async def run(consumer, producer, settings, stop):
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    await consumer.start()
    try:
        async for record in consumer:
            try:
                EventEnvelope.model_validate_json(record.value)
            except ValueError:
                await producer.send_and_wait(settings.payments_dlq_topic, record.value)
            await consumer.commit()
            for tp in consumer.assignment():
                LAG.labels(tp.partition).set(consumer.highwater(tp) - await consumer.position(tp))
    finally:
        await consumer.stop()
"""
EVENTS = """
from pydantic import BaseModel

class EventEnvelope(BaseModel):
    event_id: str
    event_type: str
"""
MODELS = """
from sqlalchemy import ForeignKey
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

class Base(DeclarativeBase):
    pass

class Order(Base):
    __tablename__ = "orders"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[str] = mapped_column(index=True)
    items: Mapped[list["Item"]] = relationship(back_populates="order")

class Item(Base):
    __tablename__ = "items"
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    order: Mapped[Order] = relationship(back_populates="items")

class ProcessedEvent(Base):
    __tablename__ = "processed_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(unique=True)
"""
REPOSITORY = """
from sqlalchemy.dialects.postgresql import insert

from app.models import ProcessedEvent

async def record(session, event_id):
    statement = insert(ProcessedEvent).values(event_id=event_id).on_conflict_do_nothing()
    await session.execute(statement)
"""
DATABASE = """
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

POOL = {"pool_recycle": 1800, "pool_pre_ping": True}

def create_engine(settings):
    return create_async_engine(
        settings.database_url.get_secret_value(),
        pool_size=settings.db_pool_size,
        max_overflow=5,
        pool_timeout=5.0,
        **POOL,
    )

@asynccontextmanager
async def session_scope(factory):
    async with factory() as session:
        try:
            yield session
            await session.commit()
        except Exception:
            await session.rollback()
            raise
"""
ALEMBIC_INI = "[alembic]\nscript_location = %(here)s/alembic\nfile_template = %%(rev)s\n"
ENV = """
from sqlalchemy import pool
from sqlalchemy.ext.asyncio import async_engine_from_config

async def run_async_migrations(config, do_run_migrations):
    connectable = async_engine_from_config(config, poolclass=pool.NullPool)
    async with connectable.connect() as connection:
        await connection.run_sync(do_run_migrations)
"""
REVISION = '''
"""Create tables."""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None

def upgrade() -> None:
    op.create_table("processed_events", sa.Column("event_id", sa.String(), unique=True))
    op.create_index("ix_orders_customer_id", "orders", ["customer_id"])

def downgrade() -> None:
    op.drop_table("processed_events")
'''
PYPROJECT = '[project]\nname = "svc"\nversion = "1.0.0"\ndependencies = ["asyncpg>=0.29"]\n'
GOOD = {
    "pyproject.toml": PYPROJECT,
    "src/app/__init__.py": "",
    "src/app/core/config.py": CONFIG,
    "src/app/core/database.py": DATABASE,
    "src/app/kafka/producer.py": PRODUCER,
    "src/app/kafka/consumer.py": CONSUMER,
    "src/app/schemas/events.py": EVENTS,
    "src/app/models/__init__.py": MODELS,
    "src/app/repositories/processed.py": REPOSITORY,
    "alembic.ini": ALEMBIC_INI,
    "alembic/env.py": ENV,
    "alembic/versions/0001_create.py": REVISION,
}
ITEMS = (
    "kafka.topics",
    "kafka.message_schemas",
    "kafka.producer_retries",
    "kafka.consumer_shutdown",
    "kafka.idempotency",
    "kafka.dlq",
    "kafka.lag_monitoring",
    "db.async_driver",
    "db.pool",
    "db.alembic",
    "db.transactions",
    "db.indexes",
    "db.models",
)


def write(root: Path, files: dict[str, str]) -> Path:
    """Write ``files`` (relative path -> text) under ``root``; return ``root``."""
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def edited(path: str, *replacements: tuple[str, str]) -> dict[str, str]:
    """``GOOD`` with ``path`` edited; every ``old`` text must occur in it."""
    text = GOOD[path]
    for old, new in replacements:
        assert old in text, f"{old!r} not in {path}"
        text = text.replace(old, new)
    return {**GOOD, path: text}


async def run_check(item_id: str, root: Path, files: dict[str, str]) -> Outcome:
    """Write the project and run one static check on it."""
    return await compute_check(item_id, write(root, files), tier=Tier.STATIC)


def messages(outcome: Outcome) -> str:
    """All finding messages of an outcome, one per line."""
    return "\n".join(f.message for f in outcome.findings)


@pytest.mark.parametrize("item_id", ITEMS)
async def test_good_project_passes(item_id: str, tmp_path: Path) -> None:
    outcome = await run_check(item_id, tmp_path, GOOD)
    assert outcome.status is Status.PASS, outcome


FAILING = [
    pytest.param(
        "kafka.topics",
        edited(
            "src/app/core/config.py",
            ('"orders.v1"', '"orders"'),
            ('"payments.v1"', '"p"'),
            ('"payments.v1.dlq"', '"p.dlq"'),
        ),
        "no topic default is versioned",
        id="unversioned-topics",
    ),
    pytest.param(
        "kafka.topics",
        edited("src/app/core/config.py", ('payments_dlq_topic: str = "payments.v1.dlq"', "")),
        "no dead letter topic setting",
        id="no-dlq-topic-setting",
    ),
    pytest.param(
        "kafka.message_schemas",
        edited("src/app/kafka/consumer.py", ("EventEnvelope.model_validate_json", "dict")),
        "the consumer never validates messages",
        id="consumer-does-not-validate",
    ),
    pytest.param(
        "kafka.message_schemas",
        edited("src/app/schemas/events.py", ("(BaseModel)", "")),
        "no Pydantic event/envelope/payload model",
        id="events-not-pydantic",
    ),
    pytest.param(
        "kafka.producer_retries",
        edited("src/app/core/config.py", ('kafka_acks: str = "all"', 'kafka_acks: str = "1"')),
        "producer acks is '1', not \"all\"",
        id="acks-one-via-settings",
    ),
    pytest.param(
        "kafka.producer_retries",
        edited(
            "src/app/kafka/producer.py",
            ("        retry_backoff_ms=200,\n        request_timeout_ms=10000,\n", ""),
        ),
        "no retry option (retry_backoff_ms/request_timeout_ms/enable_idempotence/retries)",
        id="no-retry-settings",
    ),
    pytest.param(
        "kafka.producer_retries",
        edited("src/app/kafka/producer.py", ("except KafkaError:", "except ValueError:")),
        "no send is wrapped in try/except KafkaError",
        id="send-errors-not-caught",
    ),
    pytest.param(
        "kafka.consumer_shutdown",
        edited(
            "src/app/kafka/consumer.py", ("loop.add_signal_handler(signal.SIGINT, stop.set)", "")
        ),
        "no SIGINT handler",
        id="no-sigint-handler",
    ),
    pytest.param(
        "kafka.consumer_shutdown",
        edited("src/app/kafka/consumer.py", ("enable_auto_commit=False", "group_id='g'")),
        "AIOKafkaConsumer without enable_auto_commit=False",
        id="auto-commit",
    ),
    pytest.param(
        "kafka.consumer_shutdown",
        edited("src/app/kafka/consumer.py", ("        await consumer.stop()\n", "        pass\n")),
        "the consumer is not stopped in a finally/shutdown path",
        id="no-graceful-stop",
    ),
    pytest.param(
        "kafka.idempotency",
        edited("src/app/repositories/processed.py", (".on_conflict_do_nothing()", "")),
        "no ON CONFLICT DO NOTHING insert or duplicate check",
        id="plain-insert",
    ),
    pytest.param(
        "kafka.idempotency",
        {
            **edited(
                "src/app/models/__init__.py", ("mapped_column(unique=True)", "mapped_column()")
            ),
            "alembic/versions/0001_create.py": REVISION.replace(", unique=True", ""),
        },
        "no unique key/primary key on an event id column",
        id="no-unique-event-id",
    ),
    pytest.param(
        "kafka.dlq",
        edited(
            "src/app/kafka/consumer.py",
            ("await producer.send_and_wait(settings.payments_dlq_topic, record.value)", "raise"),
        ),
        "no code sends failed messages to the dead letter topic",
        id="failed-messages-not-dead-lettered",
    ),
    pytest.param(
        "kafka.lag_monitoring",
        edited(
            "src/app/kafka/consumer.py",
            ("consumer.highwater(tp) - await consumer.position(tp)", "0"),
        ),
        "no highwater()/end_offsets() call",
        id="lag-not-computed",
    ),
    pytest.param(
        "db.async_driver",
        edited(
            "src/app/core/database.py",
            (
                "from contextlib",
                "from sqlalchemy import create_engine as sync_engine\nfrom contextlib",
            ),
        ),
        "sync database API imported: sqlalchemy",
        id="sync-engine-import",
    ),
    pytest.param(
        "db.async_driver",
        {**GOOD, "pyproject.toml": PYPROJECT.replace('"asyncpg>=0.29"', '"psycopg2"')},
        "asyncpg is not a declared dependency",
        id="no-asyncpg",
    ),
    pytest.param(
        "db.pool",
        edited("src/app/core/database.py", ("        max_overflow=5,\n", "")),
        "create_async_engine() without max_overflow",
        id="no-max-overflow",
    ),
    pytest.param(
        "db.pool",
        edited("src/app/core/database.py", ('"pool_pre_ping": True', '"echo": True')),
        "create_async_engine() without pool_pre_ping",
        id="no-pre-ping-in-splat",
    ),
    pytest.param(
        "db.alembic",
        {
            **GOOD,
            "alembic/versions/0001_create.py": REVISION.replace(
                'op.drop_table("processed_events")', "pass"
            ),
        },
        "downgrade() does nothing",
        id="empty-downgrade",
    ),
    pytest.param(
        "db.alembic",
        {**GOOD, "alembic/env.py": "from sqlalchemy import engine_from_config\n"},
        "env.py does not run migrations through an async engine",
        id="sync-env",
    ),
    pytest.param(
        "db.transactions",
        edited("src/app/core/database.py", ("await session.rollback()", "pass")),
        "no session scope commits on success and rolls back on error",
        id="no-rollback",
    ),
    pytest.param(
        "db.indexes",
        {
            **edited(
                "src/app/models/__init__.py", ("mapped_column(index=True)", "mapped_column()")
            ),
            "alembic/versions/0001_create.py": REVISION.replace(
                '    op.create_index("ix_orders_customer_id", "orders", ["customer_id"])\n', ""
            ),
        },
        "no index declared",
        id="no-index",
    ),
    pytest.param(
        "db.models",
        edited("src/app/models/__init__.py", ('ForeignKey("orders.id")', "")),
        "no ForeignKey",
        id="no-foreign-key",
    ),
]


@pytest.mark.parametrize(("item_id", "files", "expected"), FAILING)
async def test_broken_project_fails(
    item_id: str, files: dict[str, str], expected: str, tmp_path: Path
) -> None:
    outcome = await run_check(item_id, tmp_path, files)
    assert outcome.status is Status.FAIL, outcome
    assert expected in (outcome.reason + "\n" + messages(outcome))


CATCHING_INSERT = """\
    try:
        await session.execute(statement)
    except IntegrityError:
        return"""
SHUTDOWN_HELPER = """\
        await shutdown(consumer)

async def shutdown(kafka_consumer):
    await kafka_consumer.stop()
"""
TOLERATED = [
    pytest.param(
        "db.pool",
        edited(
            "src/app/core/database.py", ("        **POOL,\n", "        **pool_options(settings),\n")
        ),
        id="pool-options-from-a-helper",
    ),
    pytest.param(
        "kafka.message_schemas",
        {
            **edited(
                "src/app/kafka/consumer.py",
                ("EventEnvelope.model_validate_json(record.value)", "parse_event(record.value)"),
            ),
            "src/app/schemas/events.py": EVENTS
            + "\n\ndef parse_event(raw):\n    return EventEnvelope.model_validate_json(raw)\n",
        },
        id="validation-in-a-schema-helper",
    ),
    pytest.param(
        "kafka.idempotency",
        edited(
            "src/app/repositories/processed.py",
            (".on_conflict_do_nothing()", ""),
            (
                "    await session.execute(statement)",
                CATCHING_INSERT,
            ),
        ),
        id="unique-violation-caught",
    ),
    pytest.param(
        "kafka.consumer_shutdown",
        edited(
            "src/app/kafka/consumer.py",
            (
                "loop.add_signal_handler(signal.SIGTERM, stop.set)",
                "signal.signal(signal.SIGTERM, stop.set)",
            ),
            (
                "        await consumer.stop()\n",
                SHUTDOWN_HELPER,
            ),
        ),
        id="signal-module-and-shutdown-helper",
    ),
]


EXPLICIT_CHECK = """
async def record(session, event_id):
    if await is_processed(session, event_id):
        return False
    session.add(event_id)
    return True
"""
TOLERATED.append(
    pytest.param(
        "kafka.idempotency",
        {**GOOD, "src/app/repositories/processed.py": EXPLICIT_CHECK},
        id="explicit-duplicate-check",
    )
)
FACTORY_CONSUMER = """
import signal

from aiokafka import AIOKafkaConsumer

def build_client(settings):
    return AIOKafkaConsumer("payments.v1", enable_auto_commit=False)

class Worker:
    def __init__(self, settings):
        self.client = build_client(settings)

    async def run(self, loop, stop):
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        async with self.client:
            async for record in self.client:
                await self.client.commit()
"""
TOLERATED.append(
    pytest.param(
        "kafka.consumer_shutdown",
        {**GOOD, "src/app/kafka/consumer.py": FACTORY_CONSUMER},
        id="factory-built-consumer-used-as-context-manager",
    )
)


INJECTED_CONSUMER = """
import signal

from aiokafka import AIOKafkaConsumer

def build_client(settings):
    return AIOKafkaConsumer("payments.v1", enable_auto_commit=False)

class Worker:
    def __init__(self, client):
        self._client = client

    async def run(self, loop, stop):
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await self._client.start()
        try:
            while not stop.is_set():
                batches = await self._client.getmany(timeout_ms=500)
                await self._client.commit()
        finally:
            await self._client.stop()

def main(settings):
    return Worker(build_client(settings))
"""
TOLERATED.append(
    pytest.param(
        "kafka.consumer_shutdown",
        {**GOOD, "src/app/kafka/consumer.py": INJECTED_CONSUMER},
        id="consumer-injected-under-another-name-known-by-its-polling",
    )
)


@pytest.mark.parametrize(("item_id", "files"), TOLERATED)
async def test_reasonable_variant_passes(
    item_id: str, files: dict[str, str], tmp_path: Path
) -> None:
    outcome = await run_check(item_id, tmp_path, files)
    assert outcome.status is Status.PASS, outcome


DELIVER_WRAPPER = """

async def deliver(producer, topic, value):
    await producer.send_and_wait(topic, value)
"""


async def test_dead_letters_sent_through_a_project_wrapper_pass(tmp_path: Path) -> None:
    consumer = CONSUMER.replace(
        "await producer.send_and_wait(settings.payments_dlq_topic, record.value)",
        "await deliver(producer, settings.payments_dlq_topic, record.value)",
    )
    files = {**GOOD, "src/app/kafka/consumer.py": consumer + DELIVER_WRAPPER}
    outcome = await run_check("kafka.dlq", tmp_path, files)
    assert outcome.status is Status.PASS, outcome
    no_send = DELIVER_WRAPPER.replace("await producer.send_and_wait(topic, value)", "return None")
    files["src/app/kafka/consumer.py"] = consumer + no_send
    outcome = await run_check("kafka.dlq", tmp_path / "b", files)
    assert outcome.status is Status.FAIL, outcome


async def test_injected_consumer_never_stopped_fails(tmp_path: Path) -> None:
    text = INJECTED_CONSUMER.replace(
        "            await self._client.stop()\n", "            pass\n"
    )
    files = {**GOOD, "src/app/kafka/consumer.py": text}
    outcome = await run_check("kafka.consumer_shutdown", tmp_path, files)
    assert outcome.status is Status.FAIL
    assert "the consumer is not stopped in a finally/shutdown path" in messages(outcome)


async def test_factory_consumer_without_commit_or_stop_fails(tmp_path: Path) -> None:
    text = FACTORY_CONSUMER.replace("        async with self.client:\n", "        if True:\n")
    text = text.replace("await self.client.commit()", "pass")
    files = {**GOOD, "src/app/kafka/consumer.py": text}
    outcome = await run_check("kafka.consumer_shutdown", tmp_path, files)
    assert outcome.status is Status.FAIL
    assert "the consumer is not stopped in a finally/shutdown path" in messages(outcome)
    assert "offsets are never committed manually" in messages(outcome)


async def test_missing_alembic_fails(tmp_path: Path) -> None:
    files = {k: v for k, v in GOOD.items() if not k.startswith("alembic")}
    outcome = await run_check("db.alembic", tmp_path, files)
    assert outcome.status is Status.FAIL
    assert outcome.reason == "no Alembic configuration"


async def test_project_without_kafka_clients_fails(tmp_path: Path) -> None:
    files = {"pyproject.toml": PYPROJECT, "src/app/main.py": "app = object()\n"}
    producer = await run_check("kafka.producer_retries", tmp_path / "a", files)
    consumer = await run_check("kafka.consumer_shutdown", tmp_path / "b", files)
    assert producer.reason == "no AIOKafkaProducer is constructed in src/"
    assert consumer.reason == "no AIOKafkaConsumer is constructed in src/"


def test_resolve_reads_constants_settings_and_literals() -> None:
    tree = ast.parse("ACKS = 'all'\nf(a=ACKS, b=settings.kafka_acks, c=-1, d=other())\n")
    module = PythonModule("src/app/x.py", "", tree)
    site = next(s for s in module_call_sites(module) if s.last == "f")
    field = SettingsField("src/app/core/config.py", "Settings", "kafka_acks", "all", 3)
    constants: dict[str, dict[str, object]] = {"src/app/x.py": {"ACKS": "all"}}
    values = [resolve(site.keywords[k], site.path, constants, [field]) for k in "abcd"]
    assert values == ["all", "all", -1, UNKNOWN]


# ---------------------------------------------------------------- properties, not shapes

APP_LAYOUT = {
    (path.replace("src/app/", "app/", 1) if path.startswith("src/app/") else path): text
    for path, text in GOOD.items()
}


@pytest.mark.parametrize("item_id", ITEMS)
async def test_package_at_project_root_is_judged_on_its_code(item_id: str, tmp_path: Path) -> None:
    outcome = await run_check(item_id, tmp_path, APP_LAYOUT)
    assert outcome.status is Status.PASS, outcome


async def test_code_outside_the_package_root_is_not_judged(tmp_path: Path) -> None:
    files = {**APP_LAYOUT, "scripts/seed.py": APP_LAYOUT["app/core/database.py"]}
    files["app/core/database.py"] = DATABASE.replace("await session.rollback()", "pass")
    outcome = await run_check("db.transactions", tmp_path, files)
    assert outcome.status is Status.FAIL, outcome


DATABASE_WITHOUT_SCOPE = DATABASE[: DATABASE.index("@asynccontextmanager")]
UNIT_OF_WORK = """
class SqlAlchemyUnitOfWork:
    def __init__(self, session_factory):
        self.session_factory = session_factory

    async def __aenter__(self):
        self.session = self.session_factory()
        return self

    async def __aexit__(self, *args):
        await self.rollback()
        await self.session.close()

    async def commit(self):
        await self.session.commit()

    async def rollback(self):
        await self.session.rollback()
"""
LAYERED_UNIT_OF_WORK = """
import abc


class AbstractUnitOfWork(abc.ABC):
    async def __aenter__(self):
        return self

    async def __aexit__(self, *args):
        await self.rollback()

    @abc.abstractmethod
    async def commit(self): ...

    @abc.abstractmethod
    async def rollback(self): ...


class SqlAlchemyUnitOfWork(AbstractUnitOfWork):
    def __init__(self, session_factory):
        self.session_factory = session_factory

    async def __aenter__(self):
        self.session = self.session_factory()
        return await super().__aenter__()

    async def __aexit__(self, *args):
        await super().__aexit__(*args)
        await self.session.close()

    async def commit(self):
        await self.session.commit()

    async def rollback(self):
        await self.session.rollback()
"""
UOW_SERVICE = """
async def place_order(uow, order):
    async with uow:
        uow.session.add(order)
        await uow.commit()
"""
EXPLICIT_SERVICE = """
async def place_order(session, order):
    session.add(order)
    try:
        await session.commit()
    except Exception:
        await session.rollback()
        raise
"""
BEGIN_SERVICE = """
async def place_order(session_factory, order):
    async with session_factory() as session, session.begin():
        session.add(order)
"""


def with_transactions(**files: str) -> dict[str, str]:
    """``GOOD`` without its session scope helper, plus ``files`` (name -> text) in the package."""
    extra = {f"src/app/{name.replace('__', '/')}.py": text for name, text in files.items()}
    return {**GOOD, "src/app/core/database.py": DATABASE_WITHOUT_SCOPE, **extra}


@pytest.mark.parametrize(
    "files",
    [
        pytest.param(
            with_transactions(services__orders=UOW_SERVICE, unit_of_work=UNIT_OF_WORK),
            id="unit-of-work-committed-by-the-service",
        ),
        pytest.param(
            with_transactions(
                unit_of_work=UNIT_OF_WORK.replace(
                    "await self.rollback()",
                    "if args[0] is None:\n            await self.commit()\n"
                    "        await self.rollback()",
                )
            ),
            id="unit-of-work-committing-on-exit",
        ),
        pytest.param(
            with_transactions(services__orders=UOW_SERVICE, unit_of_work=LAYERED_UNIT_OF_WORK),
            id="abstract-unit-of-work-rolling-back-for-its-subclass",
        ),
        pytest.param(with_transactions(services__orders=EXPLICIT_SERVICE), id="service-commits"),
        pytest.param(with_transactions(services__orders=BEGIN_SERVICE), id="session-begin"),
    ],
)
async def test_sound_transaction_management_passes(files: dict[str, str], tmp_path: Path) -> None:
    outcome = await run_check("db.transactions", tmp_path, files)
    assert outcome.status is Status.PASS, outcome


@pytest.mark.parametrize(
    "files",
    [
        pytest.param(with_transactions(), id="never-commits"),
        pytest.param(
            with_transactions(
                services__orders=UOW_SERVICE,
                unit_of_work=UNIT_OF_WORK.replace("await self.rollback()", "pass"),
            ),
            id="unit-of-work-never-rolls-back",
        ),
        pytest.param(
            with_transactions(
                services__orders=UOW_SERVICE,
                unit_of_work=LAYERED_UNIT_OF_WORK.replace(
                    "        await super().__aexit__(*args)\n", ""
                ),
            ),
            id="subclass-exit-skips-the-inherited-rollback",
        ),
        pytest.param(
            with_transactions(
                services__orders=UOW_SERVICE.replace("await uow.commit()", "pass"),
                unit_of_work=UNIT_OF_WORK,
            ),
            id="unit-of-work-never-committed",
        ),
        pytest.param(
            with_transactions(
                services__orders=EXPLICIT_SERVICE.replace("await session.rollback()", "pass")
            ),
            id="commit-without-rollback-on-error",
        ),
    ],
)
async def test_unsound_transaction_management_fails(files: dict[str, str], tmp_path: Path) -> None:
    outcome = await run_check("db.transactions", tmp_path, files)
    assert outcome.status is Status.FAIL, outcome
    assert "no session scope commits on success and rolls back on error" in outcome.reason


FACTORY_PRODUCER = """
from collections.abc import Callable
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError


class EventPublisher:
    def __init__(self, settings, factory: Callable[..., Any] = AIOKafkaProducer) -> None:
        self._factory = factory
        self._settings = settings
        self._producer = None

    async def start(self) -> None:
        options = {"bootstrap_servers": self._settings.kafka_bootstrap_servers, "acks": "all"}
        options["enable_idempotence"] = True
        options["retry_backoff_ms"] = 200
        self._producer = self._factory(**options)
        await self._producer.start()

    async def publish(self, topic, value) -> None:
        try:
            await self._producer.send_and_wait(topic, value)
        except KafkaError:
            raise
"""
ATTRIBUTE_FACTORY_PRODUCER = (
    FACTORY_PRODUCER.replace(", factory: Callable[..., Any] = AIOKafkaProducer", "")
    .replace("        self._factory = factory\n", "")
    .replace("class EventPublisher:\n", "class EventPublisher:\n    factory = AIOKafkaProducer\n\n")
    .replace("self._factory(**options)", "self.factory(**options)")
)
PARTIAL_PRODUCER = PRODUCER.replace(
    "def build_producer(settings):\n    return AIOKafkaProducer(",
    "import functools\n\ndef build_producer(settings):\n    return functools.partial(\n"
    "        AIOKafkaProducer,",
).replace("request_timeout_ms=10000,\n    )", "request_timeout_ms=10000,\n    )()")


@pytest.mark.parametrize(
    "producer",
    [
        pytest.param(FACTORY_PRODUCER, id="factory-parameter-with-options-dict"),
        pytest.param(ATTRIBUTE_FACTORY_PRODUCER, id="factory-class-attribute"),
        pytest.param(PARTIAL_PRODUCER, id="functools-partial"),
        pytest.param(
            FACTORY_PRODUCER.replace(', "acks": "all"}', "}"), id="idempotence-implies-acks-all"
        ),
    ],
)
async def test_producer_built_through_a_factory_passes(producer: str, tmp_path: Path) -> None:
    files = {**GOOD, "src/app/kafka/producer.py": producer}
    outcome = await run_check("kafka.producer_retries", tmp_path, files)
    assert outcome.status is Status.PASS, outcome


@pytest.mark.parametrize(
    ("producer", "expected"),
    [
        pytest.param(
            FACTORY_PRODUCER.replace('"acks": "all"', '"acks": 0'),
            "producer acks is 0",
            id="factory-acks-0",
        ),
        pytest.param(
            FACTORY_PRODUCER.replace('        options["enable_idempotence"] = True\n', "").replace(
                '        options["retry_backoff_ms"] = 200\n', ""
            ),
            "no retry option",
            id="factory-without-retry-options",
        ),
        pytest.param(
            FACTORY_PRODUCER.replace("True", "False").replace(
                '        options["retry_backoff_ms"] = 200\n', ""
            ),
            "no retry option",
            id="factory-idempotence-off",
        ),
    ],
)
async def test_factory_producer_without_reliability_fails(
    producer: str, expected: str, tmp_path: Path
) -> None:
    files = {**GOOD, "src/app/kafka/producer.py": producer}
    outcome = await run_check("kafka.producer_retries", tmp_path, files)
    assert outcome.status is Status.FAIL, outcome
    assert expected in messages(outcome)


DELEGATING_CONSUMER = CONSUMER.replace(
    "from app.schemas.events import EventEnvelope", "from app.kafka.handlers import dispatch"
).replace("EventEnvelope.model_validate_json(record.value)", "await dispatch(record.value)")
HANDLERS = """
from app.schemas.events import EventEnvelope


def _decode(raw):
    return EventEnvelope.model_validate_json(raw)


async def dispatch(raw):
    event = _decode(raw)
    return event.event_type
"""
UNRELATED_VALIDATION = """
from app.schemas.events import EventEnvelope


def show(row):
    return EventEnvelope.model_validate(row)
"""


REGISTRY_CONSUMER = DELEGATING_CONSUMER.replace(
    "from app.kafka.handlers import dispatch",
    "from app.kafka.handlers import dispatch\n\nHANDLERS = {'payment': dispatch}",
).replace("await dispatch(record.value)", "await HANDLERS['payment'](record.value)")


@pytest.mark.parametrize(
    "consumer",
    [
        pytest.param(DELEGATING_CONSUMER, id="called-from-the-consumer"),
        pytest.param(REGISTRY_CONSUMER, id="registered-in-a-handler-table"),
    ],
)
async def test_validation_reached_from_the_consumer_passes(consumer: str, tmp_path: Path) -> None:
    files = {**GOOD, "src/app/kafka/consumer.py": consumer, "src/app/kafka/handlers.py": HANDLERS}
    outcome = await run_check("kafka.message_schemas", tmp_path, files)
    assert outcome.status is Status.PASS, outcome


@pytest.mark.parametrize(
    "handlers",
    [
        pytest.param(
            HANDLERS.replace("EventEnvelope.model_validate_json(raw)", "json.loads(raw)"),
            id="handlers-use-plain-dicts",
        ),
        pytest.param(
            HANDLERS.replace("EventEnvelope.model_validate_json(raw)", "raw"),
            id="validation-only-off-the-consume-path",
        ),
    ],
)
async def test_consume_path_without_validation_fails(handlers: str, tmp_path: Path) -> None:
    files = {
        **GOOD,
        "src/app/kafka/consumer.py": DELEGATING_CONSUMER,
        "src/app/kafka/handlers.py": "import json\n" + handlers,
        "src/app/api/orders.py": UNRELATED_VALIDATION,
    }
    outcome = await run_check("kafka.message_schemas", tmp_path, files)
    assert outcome.status is Status.FAIL, outcome
    assert "the consumer never validates messages" in messages(outcome)


LIFESPAN_CONSUMER = """
from aiokafka import AIOKafkaConsumer


class Worker:
    def __init__(self):
        self.consumer = AIOKafkaConsumer("payments.v1", enable_auto_commit=False)

    async def run(self):
        async for record in self.consumer:
            await self.consumer.commit()

    async def close(self):
        await self.consumer.stop()
"""
LIFESPAN_MAIN = """
from contextlib import asynccontextmanager

from fastapi import FastAPI

from app.kafka.consumer import Worker


@asynccontextmanager
async def run_workers(app):
    worker = Worker()
    try:
        yield
    finally:
        await worker.close()


app = FastAPI(lifespan=run_workers)
"""


async def test_consumer_stopped_by_the_lifespan_needs_no_signal_handlers(tmp_path: Path) -> None:
    files = {
        **GOOD,
        "src/app/kafka/consumer.py": LIFESPAN_CONSUMER,
        "src/app/main.py": LIFESPAN_MAIN,
    }
    outcome = await run_check("kafka.consumer_shutdown", tmp_path, files)
    assert outcome.status is Status.PASS, outcome


@pytest.mark.parametrize(
    "main",
    [
        pytest.param(LIFESPAN_MAIN.replace("await worker.close()", "pass"), id="not-stopped"),
        pytest.param(
            LIFESPAN_MAIN.replace("    try:\n        yield\n    finally:\n", "").replace(
                "        await worker.close()", "    await worker.close()\n    yield"
            ),
            id="stopped-before-serving",
        ),
    ],
)
async def test_lifespan_that_does_not_stop_the_consumer_fails(main: str, tmp_path: Path) -> None:
    files = {**GOOD, "src/app/kafka/consumer.py": LIFESPAN_CONSUMER, "src/app/main.py": main}
    outcome = await run_check("kafka.consumer_shutdown", tmp_path, files)
    assert outcome.status is Status.FAIL, outcome
    assert "no SIGTERM handler" in messages(outcome)
