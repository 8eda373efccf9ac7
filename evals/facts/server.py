"""The project's ASGI app served by uvicorn against fresh services (full tier).

The app is started once per run, in the project copy, with the installed environment and
the provisioned PostgreSQL and broker: ``alembic upgrade head`` on a fresh database first,
then ``python -m uvicorn <module>:<attr>`` (``--factory`` for a factory) on a free local
port. Its combined stdout/stderr is copied to a size-capped log file that checks read to
find the app's log lines. The target is the one the project locator prefers
(:mod:`evals.facts.layout`); when it sits elsewhere than ``app.main:app``, that deviation
is ``structure.layout``'s to report. When the preferred target does not load, every other
app or factory found is probed and the substitution is recorded for ``api.health``; an
app that never serves is reported on :class:`RunningServer` (``failure``) so
``api.health`` fails and the checks that need a live app skip.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import httpx

from evals.context import FactNotApplicable, Facts
from evals.evaluation_contract import EVALUATION
from evals.facts.environment import INSTALLED_ENV
from evals.facts.layout import CONTRACT_TARGET, LAYOUT, AppTarget, ProjectLayout
from evals.facts.load_gate import LOAD_GATE, LoadGate
from evals.facts.server_discovery import candidate_targets, probe_targets
from evals.facts.services import SERVICES
from evals.model import Finding
from evals.procs import exited, kill_group, release, run
from evals.procs import spawn as spawn_process
from evals.registry import FactKey, provides
from evals.sandbox import (
    Sandbox,
    project_sandbox,
    redact_bytes,
    relay_command,
    secret_values,
    socket_dir,
    start_helper,
    stop_helper,
)

START_TIMEOUT_S = 90.0
MIGRATE_TIMEOUT_S = 300.0
STOP_GRACE_S = 10.0
LOG_CAP_BYTES = 20_000_000
READ_CHUNK = 65_536
POLL_INTERVAL_S = 0.25
READY_PROBE_PATH = EVALUATION.health_live


class ServerLog:
    """The app's combined stdout and stderr, copied to a file up to a size cap.

    Attributes:
        path: The log file.
        cap: Bytes kept; later output is read and discarded.
        truncated: Whether output was discarded.
    """

    def __init__(self, path: Path, cap: int = LOG_CAP_BYTES) -> None:
        """Create an empty log at ``path`` (parent directories included)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"")
        self.path = path
        self.cap = cap
        self.truncated = False
        self._written = 0

    def size(self) -> int:
        """Bytes written so far; pass it as ``since`` to read only later output."""
        return self._written

    async def pump(self, stream: asyncio.StreamReader) -> None:
        """Copy ``stream`` to the file until it ends, keeping at most ``cap`` bytes.

        Whole lines are written, with the harness's secrets redacted.
        """
        secrets, pending = secret_values(), b""
        with self.path.open("ab") as handle:
            while chunk := await stream.read(READ_CHUNK):
                pending += chunk
                cut = pending.rfind(b"\n") + 1 if len(pending) < READ_CHUNK else len(pending)
                self._write(handle, redact_bytes(pending[:cut], secrets))
                pending = pending[cut:]
            self._write(handle, redact_bytes(pending, secrets))

    def _write(self, handle: BinaryIO, chunk: bytes) -> None:
        """Append ``chunk`` to the open log within the cap."""
        room = self.cap - self._written
        if len(chunk) > room:
            self.truncated = True
            chunk = chunk[: max(room, 0)]
        handle.write(chunk)
        handle.flush()
        self._written += len(chunk)

    def text(self, since: int = 0) -> str:
        """The output from byte offset ``since`` on, decoded leniently."""
        with self.path.open("rb") as handle:
            handle.seek(since)
            return handle.read().decode("utf-8", errors="replace")

    def lines(self, since: int = 0) -> list[str]:
        """Non-empty complete lines from byte offset ``since`` on."""
        text = self.text(since)
        complete = text[: text.rfind("\n") + 1]
        return [line for line in complete.splitlines() if line.strip()]

    def tail(self, count: int = 20) -> str:
        """The last ``count`` lines, for error messages."""
        return "\n".join(self.text().splitlines()[-count:])

    async def wait_for(self, needle: str, since: int = 0, timeout_s: float = 5.0) -> list[str]:
        """Lines after ``since`` that contain ``needle``, waiting up to ``timeout_s`` for one."""
        deadline = time.monotonic() + timeout_s
        while True:
            found = [line for line in self.lines(since) if needle in line]
            if found or time.monotonic() >= deadline:
                return found
            await asyncio.sleep(POLL_INTERVAL_S)


@dataclass
class RunningServer:
    """The app as the harness started it.

    Attributes:
        base_url: Where it listens, e.g. ``http://127.0.0.1:40123``.
        log: Its captured output.
        ready_offset: Log size when it began serving; later lines come from requests.
        target: The ASGI app (or factory) served, when one loaded.
        failure: Why it is not serving; empty when it is.
        deviations: Departures from the contract (e.g. the app is not ``app.main:app``).
        notes: Other observations, such as a failed ``alembic upgrade head``.
        gate: The run's :data:`~evals.facts.load_gate.LOAD_GATE`: probes hold it shared,
            the load test exclusively.
        process: The uvicorn process (sandbox included), for experiments that stop it.
    """

    base_url: str
    log: ServerLog
    ready_offset: int = 0
    target: AppTarget | None = None
    failure: str = ""
    deviations: tuple[Finding, ...] = ()
    notes: tuple[str, ...] = ()
    gate: LoadGate = field(default_factory=LoadGate)
    process: asyncio.subprocess.Process | None = None

    @property
    def up(self) -> bool:
        """Whether the app answered HTTP requests."""
        return not self.failure

    def client(self, timeout_s: float = 10.0, connections: int = 16) -> httpx.AsyncClient:
        """An HTTP client for the app (no proxies from the environment)."""
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        return httpx.AsyncClient(
            base_url=self.base_url, timeout=timeout_s, limits=limits, trust_env=False
        )


SERVER: FactKey[RunningServer] = FactKey("server")
LIVE_SERVER: FactKey[RunningServer] = FactKey("live_server")


@dataclass
class Launch:
    """What every start attempt shares.

    Attributes:
        project: The project copy (working directory).
        python: The installed environment's interpreter.
        env: The app's environment.
        logdir: Where log files go.
        facts: The run's facts, for registering cleanups.
        sandbox: Where the app, its migrations and the import probe run.
    """

    project: Path
    python: Path
    env: dict[str, str]
    logdir: Path
    facts: Facts
    sandbox: Sandbox | None = None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def stop_process(process: asyncio.subprocess.Process, pump: asyncio.Task[None]) -> None:
    """Stop the process group: SIGTERM, then SIGKILL after a grace period; drain the log."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        if await exited(process, STOP_GRACE_S):
            break
    kill_group(process)  # what the app left in its group (a sandbox is gone with its bwrap)
    await release(process)
    try:
        await asyncio.wait_for(asyncio.shield(pump), STOP_GRACE_S)
    except TimeoutError:
        pump.cancel()  # a detached child holds the output: stop reading


async def _responds(client: httpx.AsyncClient) -> bool:
    """Whether the app answers HTTP at all (uvicorn serves only after start-up completed)."""
    try:
        await client.get(READY_PROBE_PATH)
    except httpx.HTTPError:
        return False
    return True


async def wait_until_serving(
    process: asyncio.subprocess.Process, base_url: str, timeout_s: float
) -> str:
    """Poll the app until it answers; returns why it never did, or an empty string."""
    deadline = time.monotonic() + timeout_s
    async with httpx.AsyncClient(base_url=base_url, timeout=2.0, trust_env=False) as client:
        while time.monotonic() < deadline:
            if process.returncode is not None:
                return f"the app exited with code {process.returncode} before serving requests"
            if await _responds(client):
                return ""
            await asyncio.sleep(POLL_INTERVAL_S)
    return f"the app did not answer HTTP requests within {timeout_s:g} s"


def uvicorn_argv(python: Path, target: AppTarget, port: int, uds: Path | None = None) -> list[str]:
    """The uvicorn command line serving ``target`` on ``port`` (or the Unix socket ``uds``)."""
    argv = [str(python), "-m", "uvicorn", target.spec]
    argv += ["--uds", str(uds)] if uds else ["--host", "127.0.0.1", "--port", str(port)]
    return argv + (["--factory"] if target.factory else [])


async def _port_relay(launch: Launch, port: int) -> tuple[Path | None, Sandbox | None]:
    """In a sandbox, the app serves a Unix socket that a harness relay exposes on ``port``.

    Returns:
        The socket uvicorn should serve (None without a sandbox) and the app's sandbox.
    """
    if launch.sandbox is None or not launch.sandbox.active:
        return None, launch.sandbox
    directory = await asyncio.to_thread(socket_dir)
    launch.facts.cleanups.append(lambda: asyncio.to_thread(shutil.rmtree, directory, True))
    uds = directory / "app.sock"
    helper = await start_helper(relay_command("--forward", f"127.0.0.1:{port}={uds}"))
    launch.facts.cleanups.append(lambda: stop_helper(helper))
    return uds, launch.sandbox.allowing(writable=[directory])


async def spawn(
    launch: Launch, target: AppTarget, port: int, log: ServerLog
) -> tuple[asyncio.subprocess.Process, asyncio.Task[None]]:
    """Start uvicorn (in the sandbox) in its own process group, its output pumped into ``log``.

    The process is stopped by the run's cleanups.
    """
    uds, sandbox = await _port_relay(launch, port)
    argv = uvicorn_argv(launch.python, target, port, uds)
    process = await spawn_process(argv, launch.project, launch.env, sandbox, merge_stderr=True)
    assert process.stdout is not None  # noqa: S101 - PIPE was requested above
    pump = asyncio.ensure_future(log.pump(process.stdout))
    launch.facts.cleanups.append(lambda: stop_process(process, pump))
    return process, pump


async def start(launch: Launch, target: AppTarget) -> RunningServer:
    """Start uvicorn serving ``target`` and wait until it answers (or fails to)."""
    port = free_port()
    log = ServerLog(launch.logdir / f"{target.module}.{target.attr}.log")
    process, pump = await spawn(launch, target, port, log)
    base_url = f"http://127.0.0.1:{port}"
    failure = await wait_until_serving(process, base_url, START_TIMEOUT_S)
    if failure:
        await stop_process(process, pump)
        failure = f"{failure}; output:\n{log.tail()}"
    server = RunningServer(base_url, log, log.size(), target, failure)
    server.process = process
    return server


async def migrate(launch: Launch) -> tuple[str, ...]:
    """Run ``alembic upgrade head`` when the project has Alembic; notes on failure."""
    if not (launch.project / "alembic.ini").is_file():
        return ("no alembic.ini: the app was started without migrations",)
    argv = [str(launch.python), "-m", "alembic", "upgrade", "head"]
    result = await run(
        argv,
        cwd=launch.project,
        env=launch.env,
        timeout_s=MIGRATE_TIMEOUT_S,
        sandbox=launch.sandbox,
    )
    if result.ok:
        return ()
    return (f"alembic upgrade head failed before the app started:\n{result.tail(10)}",)


async def _launch(facts: Facts) -> Launch:
    """Gather the installed environment and a fresh database into a :class:`Launch`."""
    installed = await facts.get(INSTALLED_ENV)
    services = await facts.get(SERVICES)
    env = {**installed.env, **facts.options.env, **services.env}
    env["DATABASE_URL"] = await services.fresh_database("server")
    env["PYTHONUNBUFFERED"] = "1"
    logdir = facts.options.workdir / "server"
    sandbox = services.confine(await project_sandbox(facts))
    return Launch(facts.project, installed.python, env, logdir, facts, sandbox)


def preferred_target(layout: ProjectLayout) -> AppTarget:
    """The app the locator prefers (the contract's when present), else the contract's."""
    return layout.app.target if layout.app is not None else CONTRACT_TARGET


async def serve_alternative(
    launch: Launch, first: RunningServer, layout: ProjectLayout
) -> RunningServer:
    """After the preferred target failed, serve another ASGI app or factory that loads."""
    targets = candidate_targets(layout)
    probed = await probe_targets(launch.python, launch.project, launch.env, targets, launch.sandbox)
    tried = probed.get(first.target.spec) if first.target else None
    if tried is not None and tried.loads:
        return first  # it imports, so it failed for another reason
    for target in targets:
        result = probed.get(target.spec)
        if target == first.target or result is None or not result.loads:
            continue
        server = await start(launch, result.target)
        if server.up:
            error = tried.error if tried else "it did not load"
            why = f"{first.target.spec if first.target else 'the app'} does not load ({error})"
            server.deviations = (Finding(f"{why}; served {target.spec}"),)
            return server
    return first


@provides(SERVER)
async def running_server(facts: Facts) -> RunningServer:
    """Migrate a fresh database and serve the app (see the module docstring)."""
    launch = await _launch(facts)
    layout = await facts.get(LAYOUT)
    notes = await migrate(launch)
    server = await start(launch, preferred_target(layout))
    if not server.up:
        server = await serve_alternative(launch, server, layout)
    server.notes = notes
    server.gate = await facts.get(LOAD_GATE)
    return server


@provides(LIVE_SERVER)
async def live_server(facts: Facts) -> RunningServer:
    """The running app; checks that need it skip when it did not start.

    Raises:
        FactNotApplicable: If the app never answered (``api.health`` reports why).
    """
    server = await facts.get(SERVER)
    if not server.up:
        raise FactNotApplicable("the app did not start (see api.health)")
    return server


def parse_json_line(line: str) -> dict[str, object] | None:
    """The JSON object on ``line``, or None when the line is not one."""
    try:
        value = json.loads(line)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
