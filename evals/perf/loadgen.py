"""Load generators that run outside the harness's event loop: ``wrk``, else ``pyload``.

``wrk`` is a separate C process; its Lua ``done()`` hook prints the latency percentiles as
one JSON line. Without ``wrk`` on ``PATH`` the harness's own lean client runs in
:data:`PY_PROCESSES` separate processes (:mod:`evals.perf.pyload`) that share the
connections; their latencies are merged.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from evals.perf.client import percentile

WRK = "wrk"
PYTHON = "python"
PY_PROCESSES = 2
WRK_THREADS = 2
WRK_MARKER = "EVALS_WRK "
WRK_TIMEOUT_S = 10
GRACE_S = 30.0
US_PER_MS = 1000.0
WRK_SCRIPT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('EVALS_WRK {"requests": %.0f, "duration_us": %.0f, "p50_us": %.0f,'
    .. ' "p95_us": %.0f, "p99_us": %.0f, "connect": %.0f, "read": %.0f, "write": %.0f,'
    .. ' "status": %.0f, "timeout": %.0f, "cpu_s": %.3f}\\n', summary.requests,
    summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), e.connect, e.read, e.write, e.status, e.timeout, os.clock()))
end
"""


class LoadGeneratorError(RuntimeError):
    """The load generator did not run or printed nothing usable."""


@dataclass(frozen=True)
class Sample:
    """What one load segment measured.

    Attributes:
        ok: Requests answered below 400.
        errors: Requests answered 400 or above, plus transport errors and timeouts.
        duration_s: Length of the segment.
        p50_ms: Median latency.
        p95_ms: 95th percentile latency.
        p99_ms: 99th percentile latency.
        generator_cpu: The generator's CPU time per second of wall time, per ``wrk``
            thread or for the busiest python process (1.0 = one core pegged); 0.0 when
            not measured.
    """

    ok: int
    errors: int
    duration_s: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    generator_cpu: float = 0.0

    @property
    def rps(self) -> float:
        """Answered requests per second."""
        return self.ok / self.duration_s if self.duration_s > 0 else 0.0


def generator_name() -> str:
    """``wrk`` when it is on ``PATH`` (or forced by ``EVALS_PERF_GENERATOR``), else ``python``."""
    wanted = os.environ.get("EVALS_PERF_GENERATOR", "")
    if wanted in (WRK, PYTHON):
        return wanted
    return WRK if shutil.which(WRK) else PYTHON


def parse_wrk(output: str, threads: int = WRK_THREADS) -> Sample:
    """The :class:`Sample` in ``wrk``'s output (the JSON line of :data:`WRK_SCRIPT`).

    ``generator_cpu`` is wrk's CPU time (``os.clock()`` at the end) per second and thread.

    Raises:
        LoadGeneratorError: If the output has no such line.
    """
    for line in output.splitlines():
        if line.startswith(WRK_MARKER):
            data = json.loads(line[len(WRK_MARKER) :])
            break
    else:
        raise LoadGeneratorError(f"wrk printed no summary: {output[-500:]!r}")
    errors = sum(int(data[key]) for key in ("connect", "read", "write", "status", "timeout"))
    duration = float(data["duration_us"]) / 1e6
    return Sample(
        ok=int(data["requests"]) - int(data["status"]),
        errors=errors,
        duration_s=duration,
        p50_ms=float(data["p50_us"]) / US_PER_MS,
        p95_ms=float(data["p95_us"]) / US_PER_MS,
        p99_ms=float(data["p99_us"]) / US_PER_MS,
        generator_cpu=float(data.get("cpu_s", 0.0)) / max(duration, 1e-9) / threads,
    )


def merge_pyload(outputs: list[str]) -> Sample:
    """One :class:`Sample` from the JSON objects printed by the ``pyload`` processes.

    Raises:
        LoadGeneratorError: If an output is not the expected JSON.
    """
    try:
        parts = [json.loads(output.strip().splitlines()[-1]) for output in outputs]
    except (ValueError, IndexError) as exc:
        raise LoadGeneratorError(f"the python load generator failed: {outputs!r}") from exc
    latencies = [float(value) for part in parts for value in part["latencies_ms"]]
    elapsed = max(float(part["elapsed_s"]) for part in parts)
    return Sample(
        ok=len(latencies),
        errors=sum(int(part["errors"]) for part in parts),
        duration_s=elapsed,
        p50_ms=percentile(latencies, 50),
        p95_ms=percentile(latencies, 95),
        p99_ms=percentile(latencies, 99),
        generator_cpu=max(float(part["cpu_s"]) / float(part["elapsed_s"]) for part in parts),
    )


async def _output(argv: list[str], timeout_s: float) -> str:
    """The stdout of ``argv`` (stderr appended), killing it after ``timeout_s``.

    Raises:
        LoadGeneratorError: If it cannot start or does not finish in time.
    """
    try:
        process = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
    except OSError as exc:
        raise LoadGeneratorError(f"cannot start {argv[0]}: {exc}") from exc
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout_s)
    except TimeoutError as exc:
        process.kill()
        await process.wait()
        raise LoadGeneratorError(f"{argv[0]} did not finish in {timeout_s:g} s") from exc
    return (out + err).decode("utf-8", errors="replace")


async def run_wrk(url: str, path: str, connections: int, duration_s: float) -> Sample:
    """``wrk`` with ``connections`` connections on ``url + path`` for ``duration_s`` seconds."""
    with tempfile.TemporaryDirectory(prefix="evals-wrk-") as scratch:
        script = Path(scratch) / "report.lua"
        script.write_text(WRK_SCRIPT, encoding="utf-8")
        threads = min(WRK_THREADS, connections)
        seconds = max(1, round(duration_s))  # wrk takes whole seconds only
        argv = [WRK, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
        argv += [f"--timeout={WRK_TIMEOUT_S}s", "-s", str(script), url + path]
        return parse_wrk(await _output(argv, duration_s + GRACE_S), threads)


async def run_pyload(url: str, path: str, connections: int, duration_s: float) -> Sample:
    """The harness's client in :data:`PY_PROCESSES` processes sharing ``connections``."""
    processes = max(1, min(PY_PROCESSES, connections))
    shares = [connections // processes + (i < connections % processes) for i in range(processes)]
    base = [sys.executable, "-m", "evals.perf.pyload", url, path]
    runs = [
        _output([*base, str(share), f"{duration_s:g}"], duration_s + GRACE_S) for share in shares
    ]
    return merge_pyload(list(await asyncio.gather(*runs)))


async def measure(
    generator: str, url: str, path: str, connections: int, duration_s: float
) -> Sample:
    """One segment of load with ``generator`` (``wrk`` or ``python``)."""
    run = run_wrk if generator == WRK else run_pyload
    return await run(url, path, connections, duration_s)
