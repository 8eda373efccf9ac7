"""Serve :mod:`evals.perf.bare_app` with uvicorn, with the harness's own interpreter.

The bare app gets its own fresh database on the project's database server. When the
project's app is reached through the sandbox's TCP relay, the bare app is served on a
Unix socket behind the same kind of relay, so that both pay the same transport.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

BARE_PATH = "/items/1"
POOL_ENV = "EVALS_BARE_POOL"
DSN_ENV = "EVALS_BARE_DSN"
START_TIMEOUT_S = 60.0
STOP_GRACE_S = 5.0
POLL_S = 0.2
HTTP_OK = 200
Cleanup = Callable[[], Awaitable[None]]


class BareAppError(RuntimeError):
    """The bare app did not start."""


@dataclass
class BareServer:
    """The running bare app.

    Attributes:
        base_url: Where it listens (``http://127.0.0.1:<port>``).
        path: The single-row GET that is measured.
        relayed: Whether it is reached through a relay (like a sandboxed project).
        cleanups: Stop the app (and the relay), in order.
    """

    base_url: str
    path: str = BARE_PATH
    relayed: bool = False
    cleanups: list[Cleanup] = field(default_factory=list)

    async def stop(self) -> None:
        """Stop the app and its relay."""
        while self.cleanups:
            await self.cleanups.pop()()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def bare_argv(port: int, uds: Path | None) -> list[str]:
    """The uvicorn command line of the bare app (no access log)."""
    argv = [sys.executable, "-m", "uvicorn", "evals.perf.bare_app:app", "--no-access-log"]
    argv += ["--log-level", "warning"]
    return argv + (["--uds", str(uds)] if uds else ["--host", "127.0.0.1", "--port", str(port)])


async def stop_process(process: asyncio.subprocess.Process) -> None:
    """SIGTERM the process group, SIGKILL after a grace period."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            await asyncio.wait_for(process.wait(), STOP_GRACE_S)
        except TimeoutError:
            continue
        return


async def wait_until_serving(process: asyncio.subprocess.Process, url: str, log: Path) -> None:
    """Poll ``url`` until it answers 200.

    Raises:
        BareAppError: If the app exits or does not answer within :data:`START_TIMEOUT_S`.
    """
    deadline = time.monotonic() + START_TIMEOUT_S
    async with httpx.AsyncClient(timeout=2.0, trust_env=False) as client:
        while time.monotonic() < deadline and process.returncode is None:
            try:
                if (await client.get(url)).status_code == HTTP_OK:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(POLL_S)
    tail = (await asyncio.to_thread(log.read_bytes))[-2000:].decode("utf-8", "replace")
    raise BareAppError(f"the bare app did not serve {url}: {tail}")


async def _relay(port: int, bare: BareServer) -> Path:
    """Start a relay from ``127.0.0.1:port`` to a new Unix socket; the socket's path."""
    from evals.sandbox import relay_command, socket_dir, start_helper, stop_helper  # noqa: PLC0415

    directory = await asyncio.to_thread(socket_dir)
    bare.cleanups.append(lambda: asyncio.to_thread(shutil.rmtree, directory, True))
    uds = directory / "bare.sock"
    helper = await start_helper(relay_command("--forward", f"127.0.0.1:{port}={uds}"))
    bare.cleanups.append(lambda: stop_helper(helper))
    return uds


async def start_bare(dsn: str, log: Path, relayed: bool = False, pool: int = 16) -> BareServer:
    """Start the bare app on the ``postgresql://`` database ``dsn`` and wait until it serves.

    Raises:
        BareAppError: If it does not serve (it is stopped again).
    """
    port = free_port()
    bare = BareServer(f"http://127.0.0.1:{port}", relayed=relayed)
    uds = await _relay(port, bare) if relayed else None
    env = {**os.environ, DSN_ENV: dsn, POOL_ENV: str(pool), "PYTHONUNBUFFERED": "1"}
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as handle:
        process = await asyncio.create_subprocess_exec(
            *bare_argv(port, uds), stdin=asyncio.subprocess.DEVNULL, stdout=handle,
            stderr=asyncio.subprocess.STDOUT, env=env, start_new_session=True,
        )  # fmt: skip
    bare.cleanups.append(lambda: stop_process(process))
    try:
        await wait_until_serving(process, bare.base_url + bare.path, log)
    except BareAppError:
        await bare.stop()
        raise
    return bare
