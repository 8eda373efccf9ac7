"""Run subprocesses safely: always with a timeout, an output cap and a killed process group.

With a :class:`~evals.sandbox.Sandbox` the command runs inside it (see
:mod:`evals.sandbox`), under its resource limits and with its environment filtering.
Captured output never shows the values of the harness's own credential variables.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from evals.sandbox import Sandbox, TaskGroup, redact

DEFAULT_OUTPUT_CAP = 2_000_000
READ_CHUNK = 65_536
# Once the process exited, how long its output pipes may stay open (held by a detached
# child) before the rest of its group is killed and reading stops.
DRAIN_GRACE_S = 3.0
POLL_MAX_S = 0.1
# The task group of each sandboxed process still running, by pid (see release()).
_GROUPS: dict[int, TaskGroup] = {}


@dataclass(frozen=True)
class ProcResult:
    """What a finished (or killed) subprocess left behind.

    Attributes:
        argv: The command line.
        returncode: Exit status; None when it was killed for timing out.
        stdout: Captured standard output, at most the cap (decoded, errors replaced).
        stderr: Captured standard error, at most the cap.
        timed_out: Whether the timeout killed it.
        truncated: Whether output beyond the cap was discarded.
        duration_s: Wall-clock run time.
    """

    argv: tuple[str, ...]
    returncode: int | None
    stdout: str
    stderr: str
    timed_out: bool
    truncated: bool
    duration_s: float

    @property
    def ok(self) -> bool:
        """True when the process exited 0 within its time."""
        return self.returncode == 0 and not self.timed_out

    def tail(self, lines: int = 20) -> str:
        """The last ``lines`` lines of stdout and stderr, for error messages."""
        text = (self.stdout + "\n" + self.stderr).strip()
        return "\n".join(text.splitlines()[-lines:])


class _CappedReader:
    """Drains a stream to its end, keeping at most ``cap`` bytes."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.chunks: list[bytes] = []
        self.kept = 0
        self.truncated = False

    async def drain(self, stream: asyncio.StreamReader | None) -> None:
        while stream is not None and (chunk := await stream.read(READ_CHUNK)):
            room = self.cap - self.kept
            if len(chunk) > room:
                self.truncated = True
                chunk = chunk[: max(room, 0)]
            self.chunks.append(chunk)
            self.kept += len(chunk)

    def text(self) -> str:
        return redact(b"".join(self.chunks).decode("utf-8", errors="replace"))


async def run(  # noqa: PLR0913 - keyword options of the one subprocess runner
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    timeout_s: float = 600.0,
    output_cap: int = DEFAULT_OUTPUT_CAP,
    sandbox: Sandbox | None = None,
) -> ProcResult:
    """Run ``argv`` in ``cwd`` in its own process group, killing the group on timeout.

    Args:
        argv: Program and arguments (no shell).
        cwd: Working directory.
        env: Full environment for the child; the harness's own when None.
        timeout_s: Seconds before the whole process group is killed.
        output_cap: Bytes of each stream kept; the rest is read and discarded.
        sandbox: Confinement of the project's processes; None for the harness's own.

    Returns:
        The result; never raises for a non-zero exit or a timeout.

    Raises:
        FileNotFoundError: If the program does not exist.
    """
    started = time.monotonic()
    process = await spawn(argv, cwd, env, sandbox)
    out, err = _CappedReader(output_cap), _CappedReader(output_cap)
    try:
        timed_out = not await _wait(process, out, err, timeout_s)
    finally:
        await release(process)
    code = None if timed_out else process.returncode
    truncated = out.truncated or err.truncated
    elapsed = time.monotonic() - started
    return ProcResult(tuple(argv), code, out.text(), err.text(), timed_out, truncated, elapsed)


async def spawn(
    argv: Sequence[str],
    cwd: Path,
    env: Mapping[str, str] | None,
    sandbox: Sandbox | None,
    merge_stderr: bool = False,
) -> asyncio.subprocess.Process:
    """Start ``argv`` (in ``sandbox``) as the leader of a new process group, output piped."""
    group = await asyncio.to_thread(TaskGroup, sandbox.limits) if sandbox is not None else None
    process = await asyncio.create_subprocess_exec(
        *(sandbox.command(argv, cwd) if sandbox is not None else argv),
        cwd=cwd,
        env=sandbox.environment(env or {}) if sandbox is not None else env,
        start_new_session=True,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT if merge_stderr else asyncio.subprocess.PIPE,
        preexec_fn=group.enter if group is not None else None,
    )
    return _track(process, group)


def _track(
    process: asyncio.subprocess.Process, group: TaskGroup | None
) -> asyncio.subprocess.Process:
    """Remember ``process``'s task group until :func:`release`."""
    if group is not None:
        _GROUPS[process.pid] = group
    return process


async def release(process: asyncio.subprocess.Process) -> None:
    """Kill what is left of a sandboxed process's task group and delete the group."""
    group = _GROUPS.pop(process.pid, None)
    if group is not None:
        await asyncio.to_thread(group.remove)


def kill_group(process: asyncio.subprocess.Process) -> None:
    """SIGKILL the process group of ``process`` (a sandbox dies with its bwrap)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        return


async def exited(process: asyncio.subprocess.Process, timeout_s: float) -> bool:
    """Wait until the process itself exited (not its pipes); False after ``timeout_s``.

    ``Process.wait()`` also waits for the output pipes, which a detached child can hold.
    """
    deadline = time.monotonic() + timeout_s
    interval = 0.005
    while process.returncode is None:
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(min(interval, max(deadline - time.monotonic(), 0)))
        interval = min(interval * 2, POLL_MAX_S)
    return True


async def _finish_drains(
    drains: asyncio.Future[tuple[None, None]], process: asyncio.subprocess.Process
) -> None:
    """Give the output pipes :data:`DRAIN_GRACE_S` to close, then kill the group and stop."""
    try:
        await asyncio.wait_for(asyncio.shield(drains), DRAIN_GRACE_S)
    except TimeoutError:
        kill_group(process)
        try:
            await asyncio.wait_for(asyncio.shield(drains), DRAIN_GRACE_S)
        except TimeoutError:
            await _cancelled(drains)  # a detached grandchild keeps the pipe: stop reading


async def _cancelled(future: asyncio.Future[tuple[None, None]]) -> None:
    """Cancel ``future`` and wait until it is done."""
    future.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await future


async def _wait(
    process: asyncio.subprocess.Process, out: _CappedReader, err: _CappedReader, timeout_s: float
) -> bool:
    """Wait for the process and its streams; kill its group on timeout. True if it finished."""
    drains = asyncio.gather(out.drain(process.stdout), err.drain(process.stderr))
    try:
        finished = await exited(process, timeout_s)
    except asyncio.CancelledError:
        kill_group(process)  # a cancelled caller must not leave the process running
        drains.cancel()
        raise
    if not finished:
        kill_group(process)
    await _finish_drains(drains, process)
    kill_group(process)  # reap background children the project may have left behind
    return finished
