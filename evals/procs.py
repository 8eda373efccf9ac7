"""Run subprocesses safely: always with a timeout, an output cap and a killed process group."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

DEFAULT_OUTPUT_CAP = 2_000_000
READ_CHUNK = 65_536


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
        return b"".join(self.chunks).decode("utf-8", errors="replace")


def _kill_group(process: asyncio.subprocess.Process) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        return


async def run(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    timeout_s: float = 600.0,
    output_cap: int = DEFAULT_OUTPUT_CAP,
) -> ProcResult:
    """Run ``argv`` in ``cwd`` in its own process group, killing the group on timeout.

    Args:
        argv: Program and arguments (no shell).
        cwd: Working directory.
        env: Full environment for the child; the harness's own when None.
        timeout_s: Seconds before the whole process group is killed.
        output_cap: Bytes of each stream kept; the rest is read and discarded.

    Returns:
        The result; never raises for a non-zero exit or a timeout.

    Raises:
        FileNotFoundError: If the program does not exist.
    """
    started = time.monotonic()
    process = await _spawn(argv, cwd, env)
    out, err = _CappedReader(output_cap), _CappedReader(output_cap)
    timed_out = not await _wait(process, out, err, timeout_s)
    code = None if timed_out else process.returncode
    truncated = out.truncated or err.truncated
    elapsed = time.monotonic() - started
    return ProcResult(tuple(argv), code, out.text(), err.text(), timed_out, truncated, elapsed)


async def _spawn(
    argv: Sequence[str], cwd: Path, env: Mapping[str, str] | None
) -> asyncio.subprocess.Process:
    """Start ``argv`` as the leader of a new process group, with piped output."""
    return await asyncio.create_subprocess_exec(
        *argv,
        cwd=cwd,
        env=dict(env) if env is not None else None,
        start_new_session=True,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def _wait(
    process: asyncio.subprocess.Process, out: _CappedReader, err: _CappedReader, timeout_s: float
) -> bool:
    """Wait for the process and its streams; kill its group on timeout. True if it finished."""
    gathered = asyncio.gather(out.drain(process.stdout), err.drain(process.stderr), process.wait())
    try:
        await asyncio.wait_for(asyncio.shield(gathered), timeout_s)
    except TimeoutError:
        _kill_group(process)
        await gathered
        return False
    except asyncio.CancelledError:
        _kill_group(process)  # a cancelled caller must not leave the process running
        raise
    _kill_group(process)  # reap background children the project may have left behind
    return True
