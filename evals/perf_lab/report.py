"""Per-variant figures from a calibration, and the Markdown table of the experiment.

Every figure is a median over the rounds: the variant's req/s and percentiles, and the
ratios to the bare app taken per round (variant and bare app measured back to back), so
that a noisy moment of a shared machine moves one round, not the figure.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass, field

from evals.perf.calibrate import BARE, Calibration, Segment, Settings
from evals.perf.loadgen import Sample
from evals.perf_lab.variants import BASELINE, Variant

COLUMNS = (
    "Variant", "Change", "req/s", "ratio to bare", "p50 ms", "p95 ms", "p99 ms",
    "p99 ratio to bare", "errors", "bare req/s", "Δ req/s vs baseline", "Δ p99 vs baseline",
)  # fmt: skip


def _median(values: list[float]) -> float:
    """The median of ``values`` (0.0 when empty)."""
    return statistics.median(values) if values else 0.0


def _per_round(cal: Calibration, figure: Callable[[Sample], float]) -> list[float]:
    """Per round: the measured path's ``figure`` over the bare app's in the same round."""
    bare = {segment.round: figure(segment.sample) for segment in cal.of(BARE)}
    mine: list[Segment] = cal.of(cal.gated)
    return [figure(s.sample) / bare[s.round] for s in mine if bare.get(s.round)]


@dataclass(frozen=True)
class Row:
    """One variant's medians over the rounds (see the module docstring)."""

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

    @classmethod
    def of(cls, variant: Variant, cal: Calibration) -> Row:
        """The row of ``variant`` measured in ``cal``."""
        samples = [segment.sample for segment in cal.of(cal.gated)]
        return cls(
            variant.name, variant.change,
            rps=_median([s.rps for s in samples]),
            ratio=_median(_per_round(cal, lambda s: s.rps)),
            p50_ms=_median([s.p50_ms for s in samples]),
            p95_ms=_median([s.p95_ms for s in samples]),
            p99_ms=_median([s.p99_ms for s in samples]),
            p99_ratio=_median(_per_round(cal, lambda s: s.p99_ms)),
            errors=sum(s.errors for s in samples),
            bare_rps=_median([segment.sample.rps for segment in cal.of(BARE)]),
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


def _change(value: float, base: float) -> str:
    """``value`` relative to ``base`` as a signed percentage."""
    return f"{(value / base - 1) * 100:+.0f}%" if base > 0 else "n/a"


def _cells(row: Row, base: Row | None) -> list[str]:
    """The table cells of ``row`` (differences against ``base``, none for the baseline)."""
    same = base is None or base.name == row.name
    return [
        f"`{row.name}`", row.change, f"{row.rps:.0f}", f"{row.ratio:.2f}x",
        f"{row.p50_ms:.1f}", f"{row.p95_ms:.1f}", f"{row.p99_ms:.1f}", f"{row.p99_ratio:.2f}x",
        str(row.errors), f"{row.bare_rps:.0f}",
        "—" if same or base is None else _change(row.ratio, base.ratio),
        "—" if same or base is None else _change(row.p99_ratio, base.p99_ratio),
    ]  # fmt: skip


def header(context: Context) -> str:
    """The header line: date, machine, generator and how each variant was measured."""
    before = "/".join(f"{value:.2f}" for value in context.load_before)
    after = "/".join(f"{value:.2f}" for value in context.load_after)
    settings = context.settings
    return (
        f"{context.date} UTC · {context.cores} cores · load average {before} at the start,"
        f" {after} at the end · generator {context.generator} · {settings.connections}"
        f" connections · per variant: {settings.rounds} rounds of bare app then variant,"
        f" {settings.duration_s:g} s each, after {settings.warmup_s:g} s warm-ups · medians"
        " over the rounds; ratios per round"
    )


def render(rows: list[Row], context: Context) -> str:
    """The Markdown report: command, header, table and notes."""
    base = next((row for row in rows if row.name == BASELINE), None)
    lines = [f"`{context.command}`", "", header(context), ""]
    lines += ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(_cells(row, base)) + " |" for row in rows]
    lines += [""] + [f"- {note}" for note in context.notes]
    return "\n".join(lines).rstrip() + "\n"
