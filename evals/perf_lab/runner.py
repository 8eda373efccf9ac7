"""Run the experiment: one PostgreSQL, one bare app, each variant calibrated against it.

An embedded PostgreSQL (as the harness starts it) gets two databases: one for the bare app
of :mod:`evals.perf.bare_app`, one seeded with the lab's tables for the variants. The bare
app and the baseline variant run for the whole experiment; each other variant is served
by uvicorn (one worker) while it is measured. Measurement reuses the harness's pieces
(:func:`evals.perf.loadgen.measure`, :class:`evals.perf.calibrate.Calibration`): after a
warm-up of each, rounds of bare app, baseline and variant back to back (baseline and
variant swap places every other round), so that each variant is compared with both in the
same few seconds; a last segment of the bare app at twice the connections is the
harness's check that the generator was not the bottleneck.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from evals.facts.services import _start_with_retry
from evals.perf import bare as harness_bare
from evals.perf.bare import (
    BareAppError,
    bare_argv,
    free_port,
    stop_process,
    wait_until_serving,
)
from evals.perf.calibrate import BARE, Calibration, Segment, Settings, saturation_problem
from evals.perf.loadgen import measure
from evals.perf_lab.cpu import tree_cpu_seconds
from evals.perf_lab.deps import ensure_sqlalchemy
from evals.perf_lab.report import CpuSegment, Row, change_text
from evals.perf_lab.schema import create_database, seed
from evals.perf_lab.variants import (
    APP_FACTORY,
    BASELINE,
    CHOICES_ENV,
    DSN_ENV,
    VARIANTS,
    Choices,
    Variant,
)

ITEM_PATH = "/items/1"
BARE_POOL = 16  # the harness's default pool of the bare app
BARE_ROW = Variant(BARE, "reference: evals/perf/bare_app.py (asyncpg, no ORM, no middleware)",
                   Choices())  # fmt: skip
Progress = Callable[[str], None]


class LabError(RuntimeError):
    """A variant or the lab's services could not be started."""


@dataclass
class Served:
    """A running app: its name, where it listens, its process id and how to stop it."""

    name: str
    base_url: str
    pid: int
    stop: Callable[[], Awaitable[None]]


@dataclass
class Lab:
    """What every variant's measurement shares.

    Attributes:
        generator: ``wrk`` or ``python``.
        settings: Connections, durations and rounds.
        workdir: Scratch directory (database files, logs).
        dsn: The variants' database (``postgresql://``).
        site: Directory to put on the variants' ``PYTHONPATH`` for SQLAlchemy, if any.
        db_pid: PostgreSQL's postmaster (its CPU and its backends' is the database's).
        bare: The running bare app.
        baseline: The running baseline variant.
        cleanups: Stop what was started, in reverse order.
    """

    generator: str
    settings: Settings
    workdir: Path
    dsn: str = ""
    site: Path | None = None
    db_pid: int = 0
    bare: Served | None = None
    baseline: Served | None = None
    cleanups: list[Callable[[], Awaitable[None]]] = field(default_factory=list)


def variant_argv(variant: Variant, port: int) -> list[str]:
    """The uvicorn command line of ``variant`` (one worker, no uvicorn access log)."""
    argv = [sys.executable, "-m", "uvicorn", APP_FACTORY, "--factory", "--no-access-log"]
    argv += ["--log-level", "warning", "--host", "127.0.0.1", "--port", str(port)]
    return argv + variant.choices.uvicorn_options()


def variant_env(variant: Variant, lab: Lab) -> dict[str, str]:
    """The environment of ``variant``'s server: database, choices and SQLAlchemy's site."""
    env = {**os.environ, DSN_ENV: lab.dsn, CHOICES_ENV: variant.choices.to_json()}
    if lab.site is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(lab.site), env.get("PYTHONPATH")]))
    return env | {"PYTHONUNBUFFERED": "1"}


async def serve(name: str, argv: list[str], env: dict[str, str], port: int, log: Path) -> Served:
    """Start ``argv`` (listening on ``port``) and wait until it answers the GET by id.

    Raises:
        LabError: If it does not serve (its log's tail says why).
    """
    with log.open("wb") as handle:
        process = await asyncio.create_subprocess_exec(
            *argv, stdin=asyncio.subprocess.DEVNULL, stdout=handle,
            stderr=asyncio.subprocess.STDOUT, env=env, start_new_session=True,
        )  # fmt: skip
    served = Served(name, f"http://127.0.0.1:{port}", process.pid, lambda: stop_process(process))
    try:
        await wait_until_serving(process, served.base_url + ITEM_PATH, log)
    except BareAppError as exc:
        await served.stop()
        raise LabError(f"{name}: {exc}") from exc
    return served


async def start_variant(variant: Variant, lab: Lab) -> Served:
    """Serve ``variant`` with uvicorn (see :func:`serve`)."""
    port = free_port()
    argv, env = variant_argv(variant, port), variant_env(variant, lab)
    return await serve(variant.name, argv, env, port, lab.workdir / f"{variant.name}.log")


async def start_bare_app(dsn: str, lab: Lab) -> Served:
    """Serve :mod:`evals.perf.bare_app` as the harness does (no relay, pool 16)."""
    port = free_port()
    env = {
        **os.environ,
        harness_bare.DSN_ENV: dsn,
        harness_bare.POOL_ENV: str(BARE_POOL),
        "PYTHONUNBUFFERED": "1",
    }
    return await serve(BARE, bare_argv(port, None), env, port, lab.workdir / "bare.log")


async def _segment(lab: Lab, target: Served, number: int, connections: int) -> Segment:
    """Measure ``target`` for one segment of round ``number``, with the CPU it and the DB used."""
    load = os.getloadavg()[0]
    app, db = tree_cpu_seconds(target.pid), tree_cpu_seconds(lab.db_pid)
    sample = await measure(
        lab.generator, target.base_url, ITEM_PATH, connections, lab.settings.duration_s
    )
    app, db = tree_cpu_seconds(target.pid) - app, tree_cpu_seconds(lab.db_pid) - db
    return CpuSegment(target.name, ITEM_PATH, number, connections, load, sample, app, db)


def _targets(lab: Lab, served: Served | None) -> list[Served]:
    """Bare app, baseline and the variant ``served`` (none when it is the baseline)."""
    assert lab.bare is not None and lab.baseline is not None  # noqa: S101 - open_lab
    return [lab.bare, lab.baseline, *([served] if served is not None else [])]


async def _rounds(lab: Lab, variant: Variant, served: Served | None) -> Calibration:
    """Warm up, then the rounds of bare app, baseline and ``variant``."""
    settings, targets = lab.settings, _targets(lab, served)
    cal = Calibration(lab.generator, settings, {variant.name: ITEM_PATH})
    for target in targets:
        await measure(
            lab.generator, target.base_url, ITEM_PATH, settings.connections, settings.warmup_s
        )
    for number in range(1, settings.rounds + 1):
        order = targets if number % 2 else [targets[0], *reversed(targets[1:])]
        for target in order:
            cal.segments.append(await _segment(lab, target, number, settings.connections))
    return cal


async def measure_variant(variant: Variant, lab: Lab) -> Calibration:
    """Serve ``variant`` (unless it is the running baseline) and measure its rounds."""
    if variant.name == BASELINE:
        return await _rounds(lab, variant, None)
    served = await start_variant(variant, lab)
    try:
        return await _rounds(lab, variant, served)
    finally:
        await served.stop()


async def open_lab(lab: Lab) -> None:
    """Start PostgreSQL, create and seed the databases, start the bare app (cleanups kept)."""
    lab.site = await asyncio.to_thread(ensure_sqlalchemy)
    server = await _start_with_retry(lab.workdir / "pgdata")
    lab.cleanups.append(lambda: asyncio.to_thread(server.cleanup))
    admin, lab.db_pid = str(server.get_uri()), int(server.get_pid() or 0)
    lab.dsn = await create_database(admin, "perf_lab")
    await seed(lab.dsn)
    bare_dsn = await create_database(admin, "perf_lab_bare")
    lab.bare = await start_bare_app(bare_dsn, lab)
    lab.cleanups.append(lab.bare.stop)
    lab.baseline = await start_variant(VARIANTS[0], lab)
    lab.cleanups.append(lab.baseline.stop)


async def close_lab(lab: Lab) -> None:
    """Stop what :func:`open_lab` started, in reverse order."""
    while lab.cleanups:
        await lab.cleanups.pop()()


def describe(row: Row) -> str:
    """One progress line for ``row``."""
    return (
        f"{row.name}: {row.rps:.0f} req/s ({row.ratio:.2f}x bare), p99 {row.p99_ms:.1f} ms"
        f" ({row.p99_ratio:.2f}x bare), {row.errors} errors; vs baseline: req/s"
        f" {change_text(row.rps_changes)}, p99 {change_text(row.p99_changes)}"
    )


async def saturation_note(lab: Lab, cals: list[Calibration]) -> list[str]:
    """The harness's generator check: the bare app at twice the connections, judged."""
    assert lab.bare is not None  # noqa: S101 - open_lab
    doubled = await _segment(lab, lab.bare, 0, 2 * lab.settings.connections)
    bare = [segment.sample for cal in cals for segment in cal.of(BARE)]
    problem = saturation_problem(bare, doubled.sample)
    return [f"load generator: {problem}"] if problem else []


async def run_experiment(
    variants: list[Variant], lab: Lab, progress: Progress
) -> tuple[list[Row], list[str]]:
    """Measure the variants against the bare app and the baseline; rows and notes."""
    measured = [variant for variant in variants if variant.name != BASELINE] or variants[:1]
    cals: list[Calibration] = []
    await open_lab(lab)
    try:
        for variant in measured:
            cals.append(await measure_variant(variant, lab))
            progress(describe(Row.of(variant, cals[-1:])))
        found = await saturation_note(lab, cals)
    finally:
        await close_lab(lab)
    return [Row.of(variant, cals) for variant in [*variants, BARE_ROW]], found


def make_lab(generator: str, settings: Settings, keep: Path | None) -> Lab:
    """A lab with a fresh scratch directory (under ``keep`` when given)."""
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
    return Lab(generator, settings, Path(tempfile.mkdtemp(prefix="evals-perf-lab-", dir=keep)))


def drop_workdir(lab: Lab) -> None:
    """Remove the lab's scratch directory."""
    shutil.rmtree(lab.workdir, ignore_errors=True)


def now() -> str:
    """The current UTC time as ``YYYY-MM-DD HH:MM``."""
    return time.strftime("%Y-%m-%d %H:%M", time.gmtime())
