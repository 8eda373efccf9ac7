"""Per-variant figures from a calibration, and the Markdown table of the experiment.

Every figure is a median over the rounds: the variant's req/s and percentiles, the ratios
to the bare app and the differences from the baseline, each taken per round (bare app,
baseline and variant measured back to back), so that a noisy moment of a shared machine
moves one round, not the figure. The baseline's row pools its rounds of every pair.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass, field

from evals.perf.calibrate import BARE, Calibration, Segment, Settings
from evals.perf_lab.variants import BASELINE, Variant

COLUMNS = (
    "Variant", "Change", "req/s", "ratio to bare", "p50 ms", "p95 ms", "p99 ms",
    "p99 ratio to bare", "errors", "bare req/s", "app CPU ms/req", "DB CPU ms/req",
    "Δ req/s vs baseline [range]", "Δ p99 vs baseline [range]", "Δ CPU/req vs baseline [range]",
)  # fmt: skip


def _median(values: list[float]) -> float:
    """The median of ``values`` (0.0 when empty)."""
    return statistics.median(values) if values else 0.0


@dataclass(frozen=True)
class CpuSegment(Segment):
    """A segment with the CPU seconds spent meanwhile by the app and by PostgreSQL.

    Attributes:
        app_cpu_s: The measured app's process.
        db_cpu_s: Every PostgreSQL process (only the measured app queries it meanwhile).
    """

    app_cpu_s: float = 0.0
    db_cpu_s: float = 0.0


def _cpu_ms(segment: Segment, app: bool = True, db: bool = True) -> float:
    """CPU milliseconds per answered request in ``segment`` (0.0 when not measured)."""
    if not isinstance(segment, CpuSegment) or segment.sample.ok <= 0:
        return 0.0
    spent = (segment.app_cpu_s if app else 0.0) + (segment.db_cpu_s if db else 0.0)
    return spent * 1000.0 / segment.sample.ok


def _per_round(
    cals: list[Calibration], target: str, reference: str, figure: Callable[[Segment], float]
) -> list[float]:
    """Per round: ``target``'s ``figure`` over ``reference``'s in the same round."""
    found = []
    for cal in cals:
        other = {segment.round: figure(segment) for segment in cal.of(reference)}
        mine: list[Segment] = cal.of(target)
        found += [figure(s) / other[s.round] for s in mine if other.get(s.round)]
    return found


def _rps(segment: Segment) -> float:
    """Requests per second of ``segment``."""
    return segment.sample.rps


def _p99(segment: Segment) -> float:
    """p99 of ``segment``."""
    return segment.sample.p99_ms


def _deltas(
    cals: list[Calibration], target: str, figure: Callable[[Segment], float]
) -> tuple[float, ...]:
    """Per round: the change of ``target``'s ``figure`` against the baseline (0.1 = +10 %).

    Empty for the baseline itself.
    """
    if target == BASELINE:
        return ()
    return tuple(ratio - 1.0 for ratio in _per_round(cals, target, BASELINE, figure))


@dataclass(frozen=True)
class Row:
    """One variant's medians over its rounds (see the module docstring).

    ``rps_changes`` and ``p99_changes`` are, per round, the variant's figure over the
    baseline's measured in the same round, minus 1 (empty for the baseline itself); the
    table shows their median and range.
    """

    name: str
    change: str
    rps: float
    ratio: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    p99_ratio: float
    errors: int
    bare_rps: float
    app_cpu_ms: float = 0.0
    db_cpu_ms: float = 0.0
    rps_changes: tuple[float, ...] = ()
    p99_changes: tuple[float, ...] = ()
    cpu_changes: tuple[float, ...] = ()

    @property
    def delta_rps(self) -> float | None:
        """Median change of req/s against the baseline (None for the baseline)."""
        return _median(list(self.rps_changes)) if self.rps_changes else None

    @property
    def delta_p99(self) -> float | None:
        """Median change of p99 against the baseline (None for the baseline)."""
        return _median(list(self.p99_changes)) if self.p99_changes else None

    @classmethod
    def of(cls, variant: Variant, cals: list[Calibration]) -> Row:
        """The row of ``variant`` from the calibrations that measured it."""
        cals = [cal for cal in cals if cal.of(variant.name)]
        segments = [segment for cal in cals for segment in cal.of(variant.name)]
        samples = [segment.sample for segment in segments]
        return cls(
            variant.name, variant.change,
            rps=_median([s.rps for s in samples]),
            ratio=_median(_per_round(cals, variant.name, BARE, _rps)),
            p50_ms=_median([s.p50_ms for s in samples]),
            p95_ms=_median([s.p95_ms for s in samples]),
            p99_ms=_median([s.p99_ms for s in samples]),
            p99_ratio=_median(_per_round(cals, variant.name, BARE, _p99)),
            errors=sum(s.errors for s in samples),
            bare_rps=_median([s.sample.rps for cal in cals for s in cal.of(BARE)]),
            rps_changes=_deltas(cals, variant.name, _rps),
            p99_changes=_deltas(cals, variant.name, _p99),
            cpu_changes=_deltas(cals, variant.name, _cpu_ms),
            app_cpu_ms=_median([_cpu_ms(s, db=False) for s in segments]),
            db_cpu_ms=_median([_cpu_ms(s, app=False) for s in segments]),
        )  # fmt: skip


@dataclass
class Context:
    """How and where the experiment ran, for the header.

    Attributes:
        date: When it started (UTC, ``YYYY-MM-DD HH:MM``).
        cores: CPU cores of the machine.
        load_before: 1/5/15-minute load averages when it started.
        load_after: The same when it ended.
        generator: ``wrk`` or ``python``.
        settings: Connections, segment length, warm-up and rounds.
        command: The command line.
        notes: Anything that weakens the figures (generator saturation, errors).
    """

    date: str
    cores: int
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]
    generator: str
    settings: Settings
    command: str
    notes: list[str] = field(default_factory=list)


def change_text(changes: tuple[float, ...]) -> str:
    """The median of per-round changes and their range: ``+12% [-3, +20]`` (— for none)."""
    if not changes:
        return "—"
    median = _median(list(changes)) * 100
    return f"{median:+.0f}% [{min(changes) * 100:+.0f}, {max(changes) * 100:+.0f}]"


def _cells(row: Row) -> list[str]:
    """The table cells of ``row``."""
    return [
        f"`{row.name}`", row.change, f"{row.rps:.0f}", f"{row.ratio:.2f}x",
        f"{row.p50_ms:.1f}", f"{row.p95_ms:.1f}", f"{row.p99_ms:.1f}", f"{row.p99_ratio:.2f}x",
        str(row.errors), f"{row.bare_rps:.0f}", f"{row.app_cpu_ms:.2f}", f"{row.db_cpu_ms:.2f}",
        change_text(row.rps_changes), change_text(row.p99_changes), change_text(row.cpu_changes),
    ]  # fmt: skip


def header(context: Context) -> str:
    """The header line: date, machine, generator and how each variant was measured."""
    before = "/".join(f"{value:.2f}" for value in context.load_before)
    after = "/".join(f"{value:.2f}" for value in context.load_after)
    settings = context.settings
    return (
        f"{context.date} UTC · {context.cores} cores · load average {before} at the start,"
        f" {after} at the end · generator {context.generator} · {settings.connections}"
        f" connections · per variant: {settings.rounds} rounds of bare app, baseline and"
        f" variant back to back (baseline and variant alternating in order),"
        f" {settings.duration_s:g} s each, after {settings.warmup_s:g} s warm-ups · medians"
        " over the rounds; ratios and differences taken per round"
    )


def render(rows: list[Row], context: Context) -> str:
    """The Markdown report: command, header, table and notes."""
    lines = [f"`{context.command}`", "", header(context), ""]
    lines += ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(_cells(row)) + " |" for row in rows]
    lines += [""] + [f"- {note}" for note in context.notes]
    return "\n".join(lines).rstrip() + "\n"
