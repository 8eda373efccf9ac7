"""The harness's own load generator, run as a separate process (when ``wrk`` is missing).

``python -m evals.perf.pyload URL PATH CONNECTIONS DURATION_S`` keeps ``CONNECTIONS``
keep-alive connections busy with ``GET PATH`` for ``DURATION_S`` seconds and prints one
JSON object: ``latencies_ms`` (answered requests below 500), ``errors`` (5xx, 4xx and
transport errors), ``elapsed_s`` and ``cpu_s`` (its own CPU time, to tell whether the
generator itself was the bottleneck).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

from evals.perf.client import LoadConnection

REQUEST_TIMEOUT_S = 10.0
CLIENT_ERROR = 400
TRANSPORT_ERRORS = (OSError, ValueError, IndexError, TimeoutError, asyncio.IncompleteReadError)


async def _worker(url: str, path: str, deadline: float, out: dict[str, list[float]]) -> None:
    """Send requests on one connection until ``deadline``, recording latencies and errors."""
    connection = LoadConnection(url)
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        try:
            async with asyncio.timeout(REQUEST_TIMEOUT_S):
                status = await connection.get(path)
        except TRANSPORT_ERRORS:
            await connection.close()
            out["errors"].append(1.0)
            continue
        if status >= CLIENT_ERROR:
            out["errors"].append(1.0)
            continue
        out["latencies_ms"].append((time.perf_counter() - started) * 1000.0)
    await connection.close()


async def generate(url: str, path: str, connections: int, duration_s: float) -> dict[str, object]:
    """Run the load and return the figures printed by :func:`main`."""
    out: dict[str, list[float]] = {"latencies_ms": [], "errors": []}
    cpu, started = time.process_time(), time.perf_counter()
    deadline = started + duration_s
    await asyncio.gather(*(_worker(url, path, deadline, out) for _ in range(connections)))
    return {
        "latencies_ms": [round(value, 3) for value in out["latencies_ms"]],
        "errors": len(out["errors"]),
        "elapsed_s": time.perf_counter() - started,
        "cpu_s": time.process_time() - cpu,
    }


def main(argv: list[str]) -> int:
    """Command-line entry point (see the module docstring)."""
    url, path, connections, duration = argv[0], argv[1], int(argv[2]), float(argv[3])
    result = asyncio.run(generate(url, path, connections, duration))
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
