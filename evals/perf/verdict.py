"""Turn a :class:`~evals.perf.calibrate.Calibration` into figures, reasons and outcomes."""

from __future__ import annotations

from evals.model import Finding, Outcome
from evals.perf.calibrate import BARE, Calibration, Figures, saturation_problem

BARE_P95_BUDGET_MS = 50.0
Metrics = dict[str, float | int | str]


def describe(figures: Figures) -> str:
    """``1234 req/s, p50/p95/p99 1.0/2.0/3.0 ms, 0 errors``."""
    return (
        f"{figures.rps:.0f} req/s, p50/p95/p99 {figures.p50_ms:.1f}/{figures.p95_ms:.1f}/"
        f"{figures.p99_ms:.1f} ms, {figures.errors} errors"
    )


def _target_metrics(cal: Calibration, target: str, prefix: str) -> Metrics:
    """``<prefix>_rps``, ``_p50_ms``, ``_p95_ms``, ``_p99_ms`` and ``_errors`` of ``target``."""
    figures = cal.figures(target)
    return {
        f"{prefix}_rps": round(figures.rps, 1),
        f"{prefix}_p50_ms": round(figures.p50_ms, 2),
        f"{prefix}_p95_ms": round(figures.p95_ms, 2),
        f"{prefix}_p99_ms": round(figures.p99_ms, 2),
        f"{prefix}_errors": figures.errors,
    }


def metrics(cal: Calibration) -> Metrics:
    """The flat figures recorded in the report (see the module docstring of ``calibrate``)."""
    throughput, tail = cal.ratios()
    found: Metrics = {"generator": cal.generator, "connections": cal.settings.connections}
    found |= {"segment_s": cal.settings.duration_s, "rounds": cal.settings.rounds}
    found |= {"relayed": "yes" if cal.relayed else "no", "measured_path": cal.paths[cal.gated]}
    found |= _target_metrics(cal, BARE, BARE) | _target_metrics(cal, cal.gated, "project")
    for kind in cal.paths:
        found |= _target_metrics(cal, kind, kind)
    found |= {"throughput_ratio": round(throughput, 3), "p99_ratio": round(tail, 3)}
    for number, ratio in enumerate(cal.round_p99_ratios(), start=1):
        found[f"p99_ratio_{number}"] = round(ratio, 3)
    return found | _segment_metrics(cal)


def _segment_metrics(cal: Calibration) -> Metrics:
    """Per segment: load average before it, req/s and p99; the saturation probe's figures."""
    found: Metrics = {}
    for segment in cal.segments:
        suffix = f"{segment.target}_{segment.round}"
        found[f"load_avg_{suffix}"] = round(segment.load_avg, 2)
        found[f"rps_{suffix}"] = round(segment.sample.rps, 1)
        found[f"p99_ms_{suffix}"] = round(segment.sample.p99_ms, 2)
    if cal.saturation is not None:
        found["bare_rps_2x"] = round(cal.saturation.sample.rps, 1)
        samples = [segment.sample for segment in [*cal.of(BARE), cal.saturation]]
        found["generator_cpu"] = round(max(sample.generator_cpu for sample in samples), 2)
    for segment in cal.latency:
        found[f"{segment.target}_light_p95_ms"] = round(segment.sample.p95_ms, 2)
        found[f"{segment.target}_light_rps"] = round(segment.sample.rps, 1)
    found["latency_connections"] = cal.settings.latency_connections
    return found


def summary(cal: Calibration) -> str:
    """How it was measured and every target's figures, for reason texts."""
    loads = [segment.load_avg for segment in cal.segments]
    how = f"{cal.generator}, {cal.settings.connections} connections, {cal.settings.rounds}"
    how += f" alternations of {cal.settings.duration_s:g} s segments"
    how += ", both apps through the sandbox's relay" if cal.relayed else ""
    parts = [f"bare GET {cal.of(BARE)[0].path}: {describe(cal.figures(BARE))}"]
    parts += [
        f"{kind} GET {path}: {describe(cal.figures(kind))}" for kind, path in cal.paths.items()
    ]
    load = f"load average {min(loads):.2f}-{max(loads):.2f} before the segments"
    return f"{how}; " + "; ".join(parts) + f"; {load}"


def calibration_problem(cal: Calibration) -> str:
    """Why the run cannot judge the project (generator not saturating, bare errors); or ''."""
    bare = cal.of(BARE)
    if cal.saturation is not None:
        problem = saturation_problem([s.sample for s in bare], cal.saturation.sample)
        if problem:
            return problem
    errors = sum(segment.sample.errors for segment in bare)
    return f"the bare app had {errors} errors under load" if errors else ""


def project_errors(cal: Calibration, kinds: list[str]) -> list[Finding]:
    """One finding per measured project path of ``kinds`` that had errors under load."""
    return [
        Finding(f"GET {cal.paths[kind]}: {cal.figures(kind).errors} errors under load")
        for kind in kinds
        if cal.figures(kind).errors
    ]


def throughput_outcome(cal: Calibration, min_ratio: float, max_p99_ratio: float) -> Outcome:
    """Pass when the gated path keeps ``min_ratio`` of the bare throughput and its p99 ratio.

    Errors on the gated path fail; a calibration that cannot be trusted is an error.
    """
    found, text = metrics(cal), summary(cal)
    problem = calibration_problem(cal)
    if problem:
        return Outcome.errored(f"{problem}; {text}", **found)
    throughput, tail = cal.ratios()
    ratios = f"throughput {throughput:.2f}x bare (>= {min_ratio:g}x), p99 {tail:.1f}x bare"
    ratios += f" (<= {max_p99_ratio:g}x; median of the rounds)"
    errors = project_errors(cal, [cal.gated])
    if errors:
        return Outcome.failed(f"requests failed under load; {ratios}; {text}", errors, **found)
    if throughput < min_ratio or tail > max_p99_ratio:
        return Outcome.failed(f"{ratios}; {text}", [Finding(ratios)], **found)
    return Outcome.passed(f"{ratios}; {text}", **found)


def machine_too_loaded(cal: Calibration) -> str:
    """Why absolute latency cannot be judged: the bare app's light-load p95 over budget; or ''."""
    light = cal.latency_of(BARE)
    segments = [light] if light is not None else cal.of(BARE)
    bare_p95 = max(segment.sample.p95_ms for segment in segments)
    if bare_p95 < BARE_P95_BUDGET_MS:
        return ""
    return (
        f"machine too loaded to judge absolute latency: bare p95 {bare_p95:.1f} ms"
        f" (budget {BARE_P95_BUDGET_MS:g} ms)"
    )


def _light_p95(cal: Calibration, kind: str) -> float:
    """The p95 of ``kind`` at the response-time concurrency (the loaded figure if missing)."""
    light = cal.latency_of(kind)
    return light.sample.p95_ms if light is not None else cal.figures(kind).p95_ms


def latency_outcome(cal: Calibration, threshold_ms: float) -> Outcome:
    """Pass when the p95 of GET by id and health is under ``threshold_ms`` (list reported).

    Measured at :attr:`~evals.perf.calibrate.Settings.latency_connections` connections,
    where a p95 is a response time rather than a queue. The list GET's size depends on
    what other checks created before, so it is reported but not judged (unless it is the
    only path measured). Judged only when the bare app's p95 at that concurrency is within
    :data:`BARE_P95_BUDGET_MS`; otherwise the machine is too loaded: an error.
    """
    found, text = metrics(cal), summary(cal)
    problem = calibration_problem(cal) or machine_too_loaded(cal)
    if problem:
        return Outcome.errored(f"{problem}; {text}", **found)
    judged = [kind for kind in cal.paths if kind != "list"] or list(cal.paths)
    worst = max(judged, key=lambda kind: _light_p95(cal, kind))
    p95 = _light_p95(cal, worst)
    found["p95_ms"] = round(p95, 2)
    errors = project_errors(cal, list(cal.paths))
    if errors:
        return Outcome.failed(f"requests failed under load; {text}", errors, **found)
    where = f"p95 of GET {cal.paths[worst]} at {cal.settings.latency_connections} connections"
    if p95 >= threshold_ms:
        reason = f"{where} is {p95:.1f} ms (>= {threshold_ms:g} ms)"
        return Outcome.failed(f"{reason}; {text}", [Finding(reason)], **found)
    return Outcome.passed(f"{where} is {p95:.1f} ms (< {threshold_ms:g} ms); {text}", **found)
