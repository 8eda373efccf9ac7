"""Run the experiment: one PostgreSQL, one bare app, each variant calibrated against it.

An embedded PostgreSQL (as the harness starts it) gets two databases: one for the bare app
of :mod:`evals.perf.bare_app`, one seeded with the lab's tables for the variants. The bare
app runs for the whole experiment; each variant is served alone by uvicorn (one worker)
and measured with :func:`evals.perf.calibrate.calibrate`: warm-ups, then rounds of bare app
and variant back to back, then the harness's saturation probe of the generator.
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
from evals.perf.bare import (
    BareAppError,
    BareServer,
    free_port,
    start_bare,
    stop_process,
    wait_until_serving,
)
from evals.perf.calibrate import BARE, Calibration, Settings, calibrate, saturation_problem
from evals.perf_lab.deps import ensure_sqlalchemy
from evals.perf_lab.report import Row
from evals.perf_lab.schema import create_database, seed
from evals.perf_lab.variants import APP_FACTORY, CHOICES_ENV, DSN_ENV, Variant

ITEM_PATH = "/items/1"
Progress = Callable[[str], None]


class LabError(RuntimeError):
    """A variant or the lab's services could not be started."""


@dataclass
class Lab:
    """What every variant's measurement shares.

    Attributes:
        generator: ``wrk`` or ``python``.
        settings: Connections, durations and rounds.
        workdir: Scratch directory (database files, logs).
        dsn: The variants' database (``postgresql://``).
        site: Directory to put on the variants' ``PYTHONPATH`` for SQLAlchemy, if any.
        bare: The running bare app.
    """

    generator: str
    settings: Settings
    workdir: Path
    dsn: str = ""
    site: Path | None = None
    bare: BareServer | None = None
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


async def start_variant(variant: Variant, lab: Lab) -> BareServer:
    """Serve ``variant`` and wait until it answers its GET by id.

    Raises:
        LabError: If it does not serve (its log's tail says why).
    """
    port = free_port()
    server = BareServer(f"http://127.0.0.1:{port}", path=ITEM_PATH)
    log = lab.workdir / f"{variant.name}.log"
    with log.open("wb") as handle:
        process = await asyncio.create_subprocess_exec(
            *variant_argv(variant, port), stdin=asyncio.subprocess.DEVNULL, stdout=handle,
            stderr=asyncio.subprocess.STDOUT, env=variant_env(variant, lab), start_new_session=True,
        )  # fmt: skip
    server.cleanups.append(lambda: stop_process(process))
    try:
        await wait_until_serving(process, server.base_url + server.path, log)
    except BareAppError as exc:
        await server.stop()
        raise LabError(f"variant {variant.name}: {exc}") from exc
    return server


async def measure_variant(variant: Variant, lab: Lab) -> Calibration:
    """Serve ``variant`` and calibrate it against the bare app."""
    assert lab.bare is not None  # noqa: S101 - set by open_lab
    server = await start_variant(variant, lab)
    try:
        bare = (lab.bare.base_url, lab.bare.path)
        project = (server.base_url, {"by_id": server.path})
        return await calibrate(lab.generator, bare, project, lab.settings)
    finally:
        await server.stop()


async def open_lab(lab: Lab) -> None:
    """Start PostgreSQL, create and seed the databases, start the bare app (cleanups kept)."""
    lab.site = await asyncio.to_thread(ensure_sqlalchemy)
    server = await _start_with_retry(lab.workdir / "pgdata")
    lab.cleanups.append(lambda: asyncio.to_thread(server.cleanup))
    admin = str(server.get_uri())
    lab.dsn = await create_database(admin, "perf_lab")
    await seed(lab.dsn)
    bare_dsn = await create_database(admin, "perf_lab_bare")
    lab.bare = await start_bare(bare_dsn, lab.workdir / "bare.log")
    lab.cleanups.append(lab.bare.stop)


async def close_lab(lab: Lab) -> None:
    """Stop what :func:`open_lab` started, in reverse order."""
    while lab.cleanups:
        await lab.cleanups.pop()()


def describe(row: Row) -> str:
    """One progress line for ``row``."""
    return (
        f"{row.name}: {row.rps:.0f} req/s ({row.ratio:.2f}x bare), p99 {row.p99_ms:.1f} ms"
        f" ({row.p99_ratio:.2f}x bare), {row.errors} errors"
    )


def notes(calibrations: list[tuple[Variant, Calibration]]) -> list[str]:
    """The generator-saturation problems and errors seen, per variant."""
    found = []
    for variant, cal in calibrations:
        if cal.saturation is not None:
            problem = saturation_problem([s.sample for s in cal.of(BARE)], cal.saturation.sample)
            if problem:
                found.append(f"{variant.name}: {problem}")
    return found


async def run_experiment(
    variants: list[Variant], lab: Lab, progress: Progress
) -> tuple[list[Row], list[str]]:
    """Measure every variant against the bare app; the rows and the notes (saturation)."""
    calibrations: list[tuple[Variant, Calibration]] = []
    await open_lab(lab)
    try:
        for variant in variants:
            calibrations.append((variant, await measure_variant(variant, lab)))
            progress(describe(Row.of(variant, calibrations[-1][1])))
    finally:
        await close_lab(lab)
    return [Row.of(variant, cal) for variant, cal in calibrations], notes(calibrations)


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
