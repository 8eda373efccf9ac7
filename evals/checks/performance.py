"""Performance of the running app, calibrated against a bare app in the same run.

``perf.throughput`` gates on ratios to a bare FastAPI + asyncpg app served on the same
machine and database server and measured alternately with the same load generator
(:mod:`evals.perf`): the project's throughput on its GET by id and its p99 relative to the
bare app's. ``perf.latency`` keeps the seed's absolute p95 bar, judged only when the bare
app shows the machine can serve it within :data:`~evals.perf.verdict.BARE_P95_BUDGET_MS`.
Both items read one measurement (:data:`PERF_RUN`), made while the run's load gate is held
exclusively.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

import httpx

from evals.checks.build import INSTALL_ITEM
from evals.context import CheckContext, FactNotApplicable, Facts, FactUnavailable
from evals.evaluation_contract import EVALUATION
from evals.facts.openapi import (
    OPENAPI,
    ByIdPaths,
    JsonObject,
    by_id_gets,
    collection_path,
    find_op,
    operations,
    resolve_by_id_paths,
)
from evals.facts.server import LIVE_SERVER, RunningServer
from evals.facts.services import SERVICES, libpq_url
from evals.model import Finding, Outcome
from evals.perf.bare import BareAppError, BareServer, start_bare
from evals.perf.calibrate import Calibration, Settings, calibrate
from evals.perf.client import parse_head, percentile, read_body
from evals.perf.loadgen import LoadGeneratorError, generator_name
from evals.perf.verdict import latency_outcome, throughput_outcome
from evals.registry import FactKey, check, provides
from evals.sandbox import project_sandbox

__all__ = [  # the lean client's helpers stay importable from here
    "PERF_RUN",
    "PerfRun",
    "latency",
    "parse_head",
    "percentile",
    "read_body",
    "throughput",
]

REQUEST_TIMEOUT_S = 30.0
HEALTH_PATHS = (EVALUATION.health_live, EVALUATION.health_ready, "/health")
CLIENT_ERROR = 400
DEFAULT_P99_RATIO = 8.0
P99_LIMIT = re.compile(r"p99\s*<=\s*([0-9.]+)\s*x")


@dataclass
class PerfRun:
    """The run's one calibrated load measurement.

    Attributes:
        calibration: The measurement, when it could be made.
        problem: Why the harness could not measure (an error for both items).
        failure: Why the project could not be measured (a failure for both items).
        findings: Details of ``failure`` (paths that answered 5xx).
        notes: How the project's paths were found.
    """

    calibration: Calibration | None = None
    problem: str = ""
    failure: str = ""
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


PERF_RUN: FactKey[PerfRun] = FactKey("perf_run")


def p99_ratio_limit(unit: str | None) -> float:
    """The p99 ratio limit written in the item's unit (``... p99 <= 8x bare``), else 8."""
    match = P99_LIMIT.search(unit or "")
    return float(match.group(1)) if match else DEFAULT_P99_RATIO


def path_candidates(doc: JsonObject, by_id: ByIdPaths) -> dict[str, list[str]]:
    """Candidate paths by kind: filled GET-by-id paths, their collections, health."""
    ops = operations(doc)
    collections = []
    for op in by_id_gets(ops):
        if op.label in by_id.paths:
            listing = find_op(ops, "GET", collection_path(op))
            collections += [listing.path] if listing and listing.parameterless else []
    return {"by_id": list(by_id.paths.values()), "list": collections, "health": [*HEALTH_PATHS]}


async def first_answering(
    client: httpx.AsyncClient, candidates: list[str], notes: list[Finding]
) -> str | None:
    """The first of ``candidates`` answering below 400; 5xx answers become findings."""
    for path in candidates:
        try:
            status = (await client.get(path)).status_code
        except httpx.HTTPError as exc:
            notes.append(Finding(f"GET {path} -> {type(exc).__name__}"))
            continue
        if status < CLIENT_ERROR:
            return path
        if status >= httpx.codes.INTERNAL_SERVER_ERROR:
            notes.append(Finding(f"GET {path} -> {status}"))
    return None


async def project_paths(server: RunningServer, doc: JsonObject) -> tuple[dict[str, str], PerfRun]:
    """The project's paths to measure by kind (GET by id first) and notes on finding them."""
    run = PerfRun()
    async with server.gate.shared(), server.client(REQUEST_TIMEOUT_S) as client:
        by_id = await resolve_by_id_paths(client, doc) if doc else ByIdPaths()
        run.notes = by_id.notes + [f"{k} not measured: {v}" for k, v in by_id.unfilled.items()]
        found = {}
        for kind, candidates in path_candidates(doc, by_id).items():
            path = await first_answering(client, candidates, run.findings)
            if path is not None:
                found[kind] = path
    return found, run


async def _document(facts: Facts) -> JsonObject:
    """The OpenAPI document, or an empty one (health paths only) when there is none."""
    try:
        return await facts.get(OPENAPI)
    except FactNotApplicable:
        return {}


async def _bare(facts: Facts) -> BareServer:
    """Start the bare app on a fresh database of the run's database server."""
    services = await facts.get(SERVICES)
    dsn = libpq_url(await services.fresh_database("bare"))
    relayed = (await project_sandbox(facts)).active
    return await start_bare(dsn, facts.options.workdir / "perf" / "bare.log", relayed)


async def _measure(facts: Facts, server: RunningServer, paths: dict[str, str]) -> Calibration:
    """Start the bare app and measure both with the gate held exclusively."""
    bare = await _bare(facts)
    try:
        async with server.gate.exclusive():
            project = (server.base_url, paths)
            target = (bare.base_url, bare.path)
            result = await calibrate(generator_name(), target, project, Settings.from_env())
    finally:
        await bare.stop()
    result.relayed = bare.relayed
    return result


@provides(PERF_RUN)
async def perf_run(facts: Facts) -> PerfRun:
    """Find the project's paths, then measure it against the bare app (module docstring)."""
    server = await facts.get(LIVE_SERVER)
    paths, run = await project_paths(server, await _document(facts))
    if not paths:
        run.failure = "no endpoint to measure answered below 400"
        return run
    try:
        run.calibration = await _measure(facts, server, paths)
    except (BareAppError, LoadGeneratorError, FactUnavailable, OSError) as exc:
        run.problem = f"the calibrated measurement could not run: {exc}"
    return run


def with_notes(outcome: Outcome, notes: list[str]) -> Outcome:
    """``outcome`` with how the project's paths were found appended to its reason."""
    return replace(outcome, reason="; ".join([outcome.reason, *notes])) if notes else outcome


async def _perf_run(ctx: CheckContext) -> PerfRun | Outcome:
    """The run's measurement, or the outcome when there is none."""
    run = await ctx.fact(PERF_RUN)
    if run.failure:
        return Outcome.failed(run.failure, [*run.findings, *(Finding(n) for n in run.notes)])
    if run.problem or run.calibration is None:
        return Outcome.errored(run.problem or "no measurement")
    return run


@check("perf.latency", requires=(INSTALL_ITEM,))
async def latency(ctx: CheckContext) -> Outcome:
    """p95 of every measured path at 64 connections is under the threshold (calibrated)."""
    run = await _perf_run(ctx)
    if isinstance(run, Outcome):
        return run
    assert run.calibration is not None  # noqa: S101 - _perf_run returns an outcome otherwise
    return with_notes(latency_outcome(run.calibration, ctx.threshold), run.notes)


@check("perf.throughput", requires=(INSTALL_ITEM,))
async def throughput(ctx: CheckContext) -> Outcome:
    """Throughput and p99 of GET by id relative to a bare FastAPI + asyncpg app."""
    run = await _perf_run(ctx)
    if isinstance(run, Outcome):
        return run
    assert run.calibration is not None  # noqa: S101 - _perf_run returns an outcome otherwise
    limit = p99_ratio_limit(ctx.item.unit)
    return with_notes(throughput_outcome(run.calibration, ctx.threshold, limit), run.notes)
