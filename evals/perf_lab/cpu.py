"""CPU time of a process (and its descendants) from ``/proc``, to cost each request.

On a shared machine a variant's requests per second depend on the CPU share it gets from
everything else running; the CPU seconds it spends per request hardly do. Linux only;
0.0 elsewhere or for a process that is gone.
"""

from __future__ import annotations

import os
from pathlib import Path

PROC = Path("/proc")
UTIME_FIELD = 11  # utime, then stime, counted after the ")" that ends the command name


def _ticks_per_second() -> int:
    """Clock ticks per second of ``/proc/<pid>/stat`` times."""
    try:
        return os.sysconf("SC_CLK_TCK")
    except (AttributeError, ValueError, OSError):
        return 100


TICKS = _ticks_per_second()


def cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds of ``pid`` so far (0.0 when unreadable)."""
    try:
        stat = (PROC / str(pid) / "stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return 0.0
    fields = stat.rpartition(")")[2].split()
    return (int(fields[UTIME_FIELD]) + int(fields[UTIME_FIELD + 1])) / TICKS


def children(pid: int) -> list[int]:
    """The child processes of ``pid`` (empty when unreadable)."""
    found: list[int] = []
    for task in (PROC / str(pid) / "task").glob("*/children"):
        try:
            found += [int(child) for child in task.read_text(encoding="ascii").split()]
        except (OSError, ValueError):
            continue
    return found


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds of ``pid`` and all its descendants that are alive."""
    return cpu_seconds(pid) + sum(tree_cpu_seconds(child) for child in children(pid))
