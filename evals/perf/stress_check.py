"""Does the calibrated gate hold? Score the reference and a slow copy of it, several times.

``python -m evals.perf.stress_check [RUNS [reference|slow|both]]`` (default: 5, both)
scores ``perf.throughput`` and ``perf.latency``:

- on a copy of ``reference_impl/`` while a CPU-bound process of this script occupies one
  core: ``perf.throughput`` must pass every time;
- on a copy made slow the way generated services are (:func:`slow_service`: a
  ``BaseHTTPMiddleware`` that sets up a logger per request, a connection per request
  without a pool, a second SELECT per request): ``perf.throughput`` must fail every time.

It prints every run's figures and the tallies, and exits 1 when a run went the wrong way.
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from evals.model import RunResult, Status, Tier

REFERENCE = Path(__file__).resolve().parents[2] / "reference_impl"
ITEMS = ("perf.throughput", "perf.latency")
HOG = "while True: pass"
DEFAULT_ARGUMENTS = ("5", "both")
MIDDLEWARE = '''

class RequestLoggingMiddleware(BaseHTTPMiddleware):
    """Log every request with a freshly configured logger (as generated services do)."""

    async def dispatch(self, request: Request, call_next: Any) -> Response:
        """Set up the logger, log the request, pass it on."""
        logger = logging.getLogger("app.requests")
        logger.setLevel(logging.INFO)
        logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s")
        logger.info("request %s %s", request.method, request.url.path)
        response: Response = await call_next(request)
        logger.info("response %s", response.status_code)
        return response
'''
MIDDLEWARE_IMPORTS = (
    "import logging\nfrom typing import Any\n\nfrom fastapi import Request, Response\n"
    "from starlette.middleware.base import BaseHTTPMiddleware\n"
)
POOL_KWARGS = (
    "        pool_size=settings.db_pool_size,\n"
    "        max_overflow=settings.db_max_overflow,\n"
    "        pool_timeout=settings.db_pool_timeout,\n"
    "        pool_recycle=settings.db_pool_recycle,\n"
)
READER = "        yield create_order_reader(connection)\n"
SECOND_SELECT = '        await connection.fetchval("SELECT count(*) FROM orders")\n'


def _replace(path: Path, old: str, new: str) -> None:
    """Replace ``old`` (which must occur) by ``new`` in ``path``.

    Raises:
        ValueError: If ``old`` does not occur.
    """
    text = path.read_text(encoding="utf-8")
    if old not in text:
        raise ValueError(f"{path}: {old!r} not found")
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def slow_service(root: Path) -> None:
    """Make a reference copy at ``root`` slow the way generated services are."""
    main, database = root / "src/app/main.py", root / "src/app/core/database.py"
    _replace(
        main, "from fastapi import FastAPI\n", f"{MIDDLEWARE_IMPORTS}from fastapi import FastAPI\n"
    )
    _replace(main, "\n\n@asynccontextmanager", f"{MIDDLEWARE}\n\n@asynccontextmanager")
    _replace(
        main,
        "    application.add_middleware(CorrelationIdMiddleware)\n",
        "    application.add_middleware(CorrelationIdMiddleware)\n"
        "    application.add_middleware(RequestLoggingMiddleware)\n",
    )
    _replace(
        database,
        "from sqlalchemy import event, text\n",
        "from sqlalchemy import event, text\nfrom sqlalchemy.pool import NullPool\n",
    )
    _replace(database, POOL_KWARGS, "        poolclass=NullPool,\n")
    _replace(root / "src/app/api/dependencies.py", READER, SECOND_SELECT + READER)


@contextlib.contextmanager
def cpu_hog() -> Iterator[subprocess.Popen[bytes]]:
    """A CPU-bound child process (one core busy) for the duration of the block."""
    hog = subprocess.Popen([sys.executable, "-c", HOG])  # noqa: S603 - our own interpreter
    try:
        yield hog
    finally:
        hog.kill()
        hog.wait()


async def score_copy(slow: bool, scratch: Path) -> RunResult:
    """Score the perf items on a fresh copy of the reference (made slow when ``slow``)."""
    from evals.runner import score_project  # noqa: PLC0415 - heavy import, script only
    from evals.workspace import copy_project  # noqa: PLC0415

    project = copy_project(REFERENCE, scratch / "project")
    if slow:
        slow_service(project)
    return await score_project(project, tier=Tier.FULL, select=ITEMS)


def describe(label: str, result: RunResult) -> str:
    """One line of a run's figures."""
    check = result.by_id("perf.throughput")
    m = check.outcome.metrics
    latency = result.by_id("perf.latency").status.value
    loads = [float(v) for k, v in m.items() if k.startswith("load_avg_")]
    return (
        f"{label}: throughput {check.status.value} (latency {latency}) ratio"
        f" {m.get('throughput_ratio')}x p99 {m.get('p99_ratio')}x | bare {m.get('bare_rps')} req/s"
        f" p50/p95/p99 {m.get('bare_p50_ms')}/{m.get('bare_p95_ms')}/{m.get('bare_p99_ms')} ms"
        f" | project {m.get('project_rps')} req/s p50/p95/p99 {m.get('project_p50_ms')}/"
        f"{m.get('project_p95_ms')}/{m.get('project_p99_ms')} ms | {m.get('generator')},"
        f" {m.get('connections')} connections, 2x bare {m.get('bare_rps_2x')} req/s"
        f" | p99 ratio by round {[v for k, v in m.items() if k.startswith('p99_ratio_')]}"
        f" | load {min(loads, default=0)}..{max(loads, default=0)}"
        + ("" if m else f" | {check.outcome.reason[:300]}")
    )


async def series(label: str, slow: bool, runs: int) -> int:
    """Score ``runs`` copies; the number that went the expected way (pass, or fail if slow)."""
    expected = Status.FAIL if slow else Status.PASS
    good = 0
    for number in range(1, runs + 1):
        with tempfile.TemporaryDirectory(prefix="evals-stress-") as scratch:
            result = await score_copy(slow, Path(scratch))
        print(describe(f"{label} {number}/{runs}", result), flush=True)
        good += result.by_id("perf.throughput").status is expected
    return good


async def main(runs: int, which: str = "both") -> int:
    """The series ``which`` names (``reference``, ``slow`` or ``both``); 0 when all went right."""
    passed = failed = runs
    if which in ("reference", "both"):
        with cpu_hog():
            passed = await series("reference + 1 busy core", slow=False, runs=runs)
        print(f"reference passed {passed}/{runs}", flush=True)
    if which in ("slow", "both"):
        failed = await series("slow mutation", slow=True, runs=runs)
        print(f"slow mutation failed {failed}/{runs}", flush=True)
    return 0 if passed == failed == runs else 1


if __name__ == "__main__":
    given = sys.argv[1:3]
    arguments = [*given, *DEFAULT_ARGUMENTS[len(given) :]]
    sys.exit(asyncio.run(main(int(arguments[0]), arguments[1])))
