"""Measure the project against the bare app, alternately, with the same load generator.

One run: a warm-up of every target, then :attr:`Settings.rounds` rounds of ``bare``
followed by each of the project's paths (GET by id, a list GET, health), each segment
:attr:`Settings.duration_s` long at :attr:`Settings.connections` connections, and finally
one segment of the bare app at twice the connections, then one segment of every target at
:attr:`Settings.latency_connections` for the response-time item. The generator must not
have been the bottleneck: its own CPU not pegged, or (when its CPU is unknown) doubling the
connections
not raising the bare app's throughput by more than :data:`SATURATION_GAIN`; otherwise the
figures cannot be trusted. The 1-minute load average is recorded before every segment.
The throughput ratio compares the mean throughputs over the rounds; the p99 ratio is the
median over the rounds of each round's ratio (project and bare app measured back to back).
"""

from __future__ import annotations

import math
import os
import statistics
from dataclasses import dataclass, field

from evals.perf.loadgen import Sample, measure

BARE = "bare"
SATURATION_GAIN = 1.10
PEGGED_CPU = 0.9
DEFAULT_CONNECTIONS = 64
DEFAULT_DURATION_S = 2.0
DEFAULT_WARMUP_S = 1.0
DEFAULT_ROUNDS = 3
# Response time (perf.latency) is judged at a modest concurrency: at 64 connections a
# p95 mostly measures queueing (Little's law), which perf.throughput judges relatively.
DEFAULT_LATENCY_CONNECTIONS = 8
MIN_ROUNDS = 2


def _env_number(name: str, default: float) -> float:
    """The positive number in environment variable ``name``, else ``default``."""
    try:
        value = float(os.environ.get(name, ""))
    except ValueError:
        return default
    return value if value > 0 else default


@dataclass(frozen=True)
class Settings:
    """How hard and how long to measure.

    Attributes:
        connections: Concurrent keep-alive connections (``EVALS_PERF_CONNECTIONS``).
        duration_s: Length of one measured segment (``EVALS_PERF_SEGMENT_S``; whole
            seconds with ``wrk``).
        warmup_s: Length of the warm-up of each target (``EVALS_PERF_WARMUP_S``).
        rounds: Alternations of bare and project (``EVALS_PERF_ROUNDS``, at least 2).
        latency_connections: Connections of the response-time segments
            (``EVALS_PERF_LATENCY_CONNECTIONS``).
    """

    connections: int = DEFAULT_CONNECTIONS
    duration_s: float = DEFAULT_DURATION_S
    warmup_s: float = DEFAULT_WARMUP_S
    rounds: int = DEFAULT_ROUNDS
    latency_connections: int = DEFAULT_LATENCY_CONNECTIONS

    @classmethod
    def from_env(cls) -> Settings:
        """Defaults overridden by the ``EVALS_PERF_*`` environment variables."""
        return cls(
            connections=int(_env_number("EVALS_PERF_CONNECTIONS", DEFAULT_CONNECTIONS)),
            duration_s=_env_number("EVALS_PERF_SEGMENT_S", DEFAULT_DURATION_S),
            warmup_s=_env_number("EVALS_PERF_WARMUP_S", DEFAULT_WARMUP_S),
            rounds=max(MIN_ROUNDS, int(_env_number("EVALS_PERF_ROUNDS", DEFAULT_ROUNDS))),
            latency_connections=int(
                _env_number("EVALS_PERF_LATENCY_CONNECTIONS", DEFAULT_LATENCY_CONNECTIONS)
            ),
        )


@dataclass(frozen=True)
class Segment:
    """One measured segment.

    Attributes:
        target: ``bare`` or the kind of project path (``by_id``, ``list``, ``health``).
        path: The GET path.
        round: 1-based round number (0 for the saturation probe).
        connections: Connections used.
        load_avg: The 1-minute load average just before it started.
        sample: What was measured.
    """

    target: str
    path: str
    round: int
    connections: int
    load_avg: float
    sample: Sample


@dataclass(frozen=True)
class Figures:
    """Segments of one target combined: mean throughput and percentiles, summed errors."""

    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int

    @classmethod
    def of(cls, segments: list[Segment]) -> Figures:
        """Combine ``segments`` (all of one target)."""
        samples = [segment.sample for segment in segments]
        return cls(
            rps=statistics.fmean(s.rps for s in samples),
            p50_ms=statistics.fmean(s.p50_ms for s in samples),
            p95_ms=statistics.fmean(s.p95_ms for s in samples),
            p99_ms=statistics.fmean(s.p99_ms for s in samples),
            errors=sum(s.errors for s in samples),
        )


@dataclass
class Calibration:
    """Everything one calibrated run measured.

    Attributes:
        generator: ``wrk`` or ``python``.
        settings: The settings used.
        paths: The project's measured paths by kind; the first is gated.
        segments: Every measured segment in order (warm-ups excluded).
        saturation: The bare app at twice the connections, once the rounds are done.
        latency: One segment per target at :attr:`Settings.latency_connections`, for
            the response-time item.
        relayed: Whether both apps were reached through the sandbox's relay.
    """

    generator: str
    settings: Settings
    paths: dict[str, str]
    segments: list[Segment] = field(default_factory=list)
    saturation: Segment | None = None
    relayed: bool = False
    latency: list[Segment] = field(default_factory=list)

    def latency_of(self, target: str) -> Segment | None:
        """The response-time segment of ``target``, when measured."""
        return next((s for s in self.latency if s.target == target), None)

    @property
    def gated(self) -> str:
        """The kind of project path the ratios are taken on (GET by id when there is one)."""
        return next(iter(self.paths))

    def of(self, target: str) -> list[Segment]:
        """The segments of ``target``."""
        return [segment for segment in self.segments if segment.target == target]

    def figures(self, target: str) -> Figures:
        """The combined figures of ``target``."""
        return Figures.of(self.of(target))

    def ratios(self) -> tuple[float, float]:
        """The gated path's throughput (all rounds) and p99 (median round) relative to bare.

        A p99 comes from the slowest 1 % of a few seconds of requests, so one descheduled
        moment can multiply it; each round's p99 is compared with the bare app's in the
        same round and the median of those ratios is taken.
        """
        throughput = ratios(self.figures(self.gated), self.figures(BARE))[0]
        return throughput, statistics.median(self.round_p99_ratios())

    def round_p99_ratios(self) -> list[float]:
        """Per round: the gated path's p99 over the bare app's p99 of the same round."""
        bare = {segment.round: segment.sample.p99_ms for segment in self.of(BARE)}
        return [
            segment.sample.p99_ms / bare[segment.round] if bare.get(segment.round) else math.inf
            for segment in self.of(self.gated)
        ]


def ratios(project: Figures, bare: Figures) -> tuple[float, float]:
    """``(project rps / bare rps, project p99 / bare p99)``; inf p99 ratio for a 0 bare p99."""
    throughput = project.rps / bare.rps if bare.rps > 0 else 0.0
    tail = project.p99_ms / bare.p99_ms if bare.p99_ms > 0 else float("inf")
    return throughput, tail


def saturation_problem(bare: list[Sample], doubled: Sample) -> str:
    """Why the generator may not have saturated the bare app; empty when it did.

    The generator's own CPU is the evidence when it was measured: pegged (at least
    :data:`PEGGED_CPU` of a core) in any bare segment means it may have been the
    bottleneck. Without that figure, doubling the connections must not raise the bare
    app's throughput by more than :data:`SATURATION_GAIN`.

    Args:
        bare: The bare app's segments at the normal connections.
        doubled: The bare app at twice the connections.
    """
    cpu = max(sample.generator_cpu for sample in [*bare, doubled])
    if cpu >= PEGGED_CPU:
        return f"the load generator's own CPU was pegged ({cpu:.0%} of a core)"
    best = max((sample.rps for sample in bare), default=0.0)
    measured = all(sample.generator_cpu > 0 for sample in [*bare, doubled])
    if best <= 0 or (not measured and doubled.rps > SATURATION_GAIN * best):
        return (
            f"doubling the connections raised the bare app's throughput from {best:.0f} to"
            f" {doubled.rps:.0f} req/s (more than {SATURATION_GAIN - 1:.0%}):"
            " the load generator did not saturate it"
        )
    return ""


async def _segment(
    generator: str, target: str, url: str, path: str, at: tuple[int, int, float]
) -> Segment:
    """Measure one segment; ``at`` is (round, connections, duration)."""
    load = os.getloadavg()[0]
    sample = await measure(generator, url, path, at[1], at[2])
    return Segment(target, path, at[0], at[1], load, sample)


async def calibrate(
    generator: str, bare: tuple[str, str], project: tuple[str, dict[str, str]], settings: Settings
) -> Calibration:
    """Warm up, alternate bare and project for the rounds, then probe saturation.

    Args:
        generator: ``wrk`` or ``python``.
        bare: The bare app's base URL and path.
        project: The project's base URL and its paths by kind (gated kind first).
        settings: Connections, durations and rounds.
    """
    targets = [(BARE, bare[0], bare[1])]
    targets += [(kind, project[0], path) for kind, path in project[1].items()]
    result = Calibration(generator, settings, dict(project[1]))
    for _, url, path in targets:
        await measure(generator, url, path, settings.connections, settings.warmup_s)
    for number in range(1, settings.rounds + 1):
        at = (number, settings.connections, settings.duration_s)
        for target, url, path in targets:
            result.segments.append(await _segment(generator, target, url, path, at))
    doubled = (0, 2 * settings.connections, settings.duration_s)
    result.saturation = await _segment(generator, BARE, bare[0], bare[1], doubled)
    light = (-1, settings.latency_connections, settings.duration_s)
    for target, url, path in targets:
        result.latency.append(await _segment(generator, target, url, path, light))
    return result
