"""Kill, terminate and restart the project's processes inside their sandboxes (full tier).

A sandboxed process is ``bwrap`` (outside) → ``bwrap`` (the pid namespace's init) → the
sandbox's port relay (:mod:`evals.sandbox_relay`, when ports are relayed) → the project's
command. ``kill -9`` takes the whole sandbox: SIGKILL to the outer bwrap's process group,
and ``--die-with-parent`` takes the namespace with it, so the project's process dies as by
``kill -9``. SIGTERM must reach the project's processes instead, and only them: SIGTERM to
bwrap kills the namespace outright, and the ``sh -c`` that runs a Procfile line (dash does
not exec its last command) would die at once and take the namespace down with it. So it
goes to every process of the sandbox but bwrap, the harness's relay and shells, as Heroku
signals every process of a dyno; the shell then exits with the project's status.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from pathlib import Path

from evals.procs import exited, kill_group, release

PROC = Path("/proc")
SUPERVISORS = frozenset({"bwrap"})
SHELLS = frozenset({"sh", "dash", "bash"})
RELAY_MARK = "sandbox_relay.py"
GONE_S = 10.0


def _stat(pid: int) -> tuple[str, int] | None:
    """The command name and parent pid of ``pid``; None when it is gone."""
    try:
        text = (PROC / str(pid) / "stat").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    name = text[text.index("(") + 1 : text.rindex(")")]
    return name, int(text[text.rindex(")") + 2 :].split()[1])


def children(pid: int) -> list[int]:
    """The pids whose parent is ``pid``."""
    found = []
    for entry in PROC.iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) and stat[1] == pid:
            found.append(int(entry.name))
    return sorted(found)


def _cmdline(pid: int) -> str:
    """The command line of ``pid`` ("" when it is gone)."""
    try:
        raw = (PROC / str(pid) / "cmdline").read_bytes()
    except OSError:
        return ""
    return raw.replace(b"\0", b" ").decode("utf-8", errors="replace")


def project_pids(pid: int) -> list[int]:
    """The project's processes in the sandbox led by ``pid`` (no bwrap, relay or shell)."""
    found = []
    for current in tree(pid):
        stat = _stat(current)
        if stat is None or stat[0] in SUPERVISORS | SHELLS:
            continue
        if RELAY_MARK not in _cmdline(current):
            found.append(current)
    return found


def tree(pid: int) -> list[int]:
    """``pid`` and all its descendants."""
    pending, found = [pid], []
    while pending:
        current = pending.pop()
        found.append(current)
        pending += children(current)
    return found


async def _all_gone(pids: list[int], timeout_s: float) -> bool:
    """Wait until none of ``pids`` exists; False after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while any((PROC / str(pid)).exists() for pid in pids):
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(0.05)
    return True


async def kill_hard(process: asyncio.subprocess.Process) -> None:
    """``kill -9`` the process with its sandbox and every descendant; wait until gone."""
    pids = await asyncio.to_thread(tree, process.pid)
    kill_group(process)
    signal_all(pids, signal.SIGKILL)
    await exited(process, GONE_S)
    await _all_gone(pids, GONE_S)
    await release(process)


def signal_all(pids: list[int], sig: signal.Signals) -> None:
    """Send ``sig`` to each of ``pids`` that still exists."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)


async def terminate(process: asyncio.subprocess.Process, bound_s: float) -> float | None:
    """SIGTERM the project's process; seconds until it exited, None past ``bound_s``.

    A process still running after ``bound_s`` is killed with its sandbox.
    """
    started = time.monotonic()
    signal_all(await asyncio.to_thread(project_pids, process.pid), signal.SIGTERM)
    if await exited(process, bound_s):
        await release(process)
        return round(time.monotonic() - started, 2)
    await kill_hard(process)
    return None
