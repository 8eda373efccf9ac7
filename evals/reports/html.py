"""The single-file HTML report (Jinja2 template, inline CSS, no external assets).

A result whose metrics hold the performance figures (``bare_p50_ms`` ... ``project_p99_ms``,
see :func:`evals.perf.verdict.metrics`) gets a small inline SVG chart of the two latency
distributions. Its geometry and every number in it are parsed with ``float()`` and
formatted here; the template only places these strings, which autoescaping covers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from jinja2 import Environment, PackageLoader

from evals.model import RunResult
from evals.reports.common import (
    STATUS_ICONS,
    by_category,
    counts,
    errors,
    gate_failures,
    location,
    verdict_text,
)

Metrics = dict[str, float | int | str]
PERCENTILES = ("p50", "p95", "p99")
GROUPS = (("bare", "bare app"), ("project", "project"))
_LEFT, _TOP, _PLOT_HEIGHT = 56.0, 18.0, 120.0
_BAR_WIDTH, _BAR_GAP, _GROUP_GAP = 34.0, 6.0, 40.0
_GROUP_WIDTH = len(PERCENTILES) * _BAR_WIDTH + (len(PERCENTILES) - 1) * _BAR_GAP
_RIGHT = _LEFT + len(GROUPS) * _GROUP_WIDTH + (len(GROUPS) - 1) * _GROUP_GAP
_BASELINE = _TOP + _PLOT_HEIGHT
_TWO_DECIMALS_BELOW, _ONE_DECIMAL_BELOW = 10.0, 100.0
_AXIS_STEPS = (1.0, 2.0, 2.5, 5.0, 10.0)


def _coord(value: float) -> str:
    """An SVG coordinate with one decimal."""
    return f"{value:.1f}"


# Coordinates shared by every chart, as the strings the template places.
LAYOUT = {
    "width": _coord(_RIGHT + 12),
    "height": _coord(_BASELINE + 40),
    "left": _coord(_LEFT),
    "right": _coord(_RIGHT),
    "axis_x": _coord(_LEFT - 6),
    "bar_width": _coord(_BAR_WIDTH),
    "label_y": _coord(_BASELINE + 15),
    "name_y": _coord(_BASELINE + 32),
}


@dataclass(frozen=True)
class ChartBar:
    """One latency bar: its percentile, formatted value and SVG geometry, all strings."""

    label: str
    value: str
    x: str
    y: str
    height: str
    center: str
    value_y: str


@dataclass(frozen=True)
class ChartGroup:
    """The three bars of one target (``bare`` or ``project``) and the x of its name."""

    key: str
    name: str
    center: str
    bars: tuple[ChartBar, ...]


@dataclass(frozen=True)
class ChartTick:
    """A horizontal grid line of the shared latency scale and its label."""

    y: str
    label: str


@dataclass(frozen=True)
class PerfChart:
    """Everything the template needs to draw the latency chart of one result.

    Attributes:
        groups: The bare app's bars, then the project's, on one scale.
        ticks: Grid lines at zero, half and the top of the scale.
        notes: Throughput of each target and the ratios, as text.
        description: The whole chart as one sentence (the SVG's accessible name).
        layout: The coordinates shared by every chart (:data:`LAYOUT`).
    """

    groups: tuple[ChartGroup, ...]
    ticks: tuple[ChartTick, ...]
    notes: tuple[str, ...]
    description: str
    layout: dict[str, str]


def number(metrics: Metrics, name: str) -> float | None:
    """The metric ``name`` as a finite number; None when missing, a bool or not a number."""
    value = metrics.get(name)
    if value is None or isinstance(value, bool):
        return None
    try:
        parsed = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return parsed if math.isfinite(parsed) else None


def latencies(metrics: Metrics, prefix: str) -> tuple[float, ...] | None:
    """``<prefix>_p50_ms``, ``_p95_ms`` and ``_p99_ms``; None unless all are numbers >= 0."""
    values = [number(metrics, f"{prefix}_{percentile}_ms") for percentile in PERCENTILES]
    found = tuple(value for value in values if value is not None and value >= 0)
    return found if len(found) == len(PERCENTILES) else None


def milliseconds(value: float) -> str:
    """A latency label: two decimals under 10 ms, one under 100 ms, none from there on."""
    if value < _TWO_DECIMALS_BELOW:
        return f"{value:.2f}"
    if value < _ONE_DECIMAL_BELOW:
        return f"{value:.1f}"
    return f"{value:,.0f}"


def axis_top(peak: float) -> float:
    """The top of the shared scale: 1, 2, 2.5 or 5 times a power of ten, at least ``peak``.

    A peak of zero (or one too small or too large for that rounding) still gives a
    positive, finite top, so no bar divides by zero.
    """
    if peak > 0:
        magnitude = 10.0 ** math.floor(math.log10(peak))
        for step in _AXIS_STEPS:
            top = step * magnitude
            if top >= peak and 0 < top < math.inf:
                return top
    return max(peak, 1.0)


def _bar(label: str, value: float, x: float, top: float) -> ChartBar:
    """The bar of ``value`` at ``x`` on a scale from zero to ``top``."""
    height = _PLOT_HEIGHT * min(value / top, 1.0)
    y = _BASELINE - height
    center = _coord(x + _BAR_WIDTH / 2)
    return ChartBar(
        label, milliseconds(value), _coord(x), _coord(y), _coord(height), center, _coord(y - 4)
    )


def _group(index: int, values: tuple[float, ...], top: float) -> ChartGroup:
    """The ``index``-th group of :data:`GROUPS` drawing ``values``."""
    key, name = GROUPS[index]
    left = _LEFT + index * (_GROUP_WIDTH + _GROUP_GAP)
    bars = tuple(
        _bar(label, value, left + slot * (_BAR_WIDTH + _BAR_GAP), top)
        for slot, (label, value) in enumerate(zip(PERCENTILES, values, strict=True))
    )
    return ChartGroup(key, name, _coord(left + _GROUP_WIDTH / 2), bars)


def _tick_label(value: float) -> str:
    """A grid line's label: ``0 ms``, ``2.5 ms``, ``1,000 ms`` (no trailing zeros)."""
    text = f"{value:,.0f}" if value.is_integer() else f"{value:,.3g}"
    return f"{text} ms"


def _ticks(top: float) -> tuple[ChartTick, ...]:
    """Grid lines at zero, half and the top of the scale."""
    return tuple(
        ChartTick(_coord(_BASELINE - _PLOT_HEIGHT * share), _tick_label(top * share))
        for share in (0.0, 0.5, 1.0)
    )


def _notes(metrics: Metrics) -> tuple[str, ...]:
    """Each target's req/s, the ratios and the connections, for those that are numbers >= 0."""
    figures = [(number(metrics, f"{key}_rps"), f"{name} {{:,.0f}} req/s") for key, name in GROUPS]
    figures += [
        (number(metrics, "throughput_ratio"), "throughput {:.2f}x bare"),
        (number(metrics, "p99_ratio"), "p99 {:.2f}x bare"),
        (number(metrics, "connections"), "{:.0f} connections"),
    ]
    return tuple(text.format(value) for value, text in figures if value is not None and value >= 0)


def perf_chart(metrics: Metrics) -> PerfChart | None:
    """The latency chart of a result's ``metrics``; None without every bare and project figure.

    A figure that is missing, not a number (a string ``float()`` rejects), infinite or
    negative means no chart; the metrics line of the report still lists what was recorded.
    """
    series = [latencies(metrics, key) for key, _ in GROUPS]
    if any(values is None for values in series):
        return None
    found = [values for values in series if values is not None]
    top = axis_top(max(max(values) for values in found))
    groups = tuple(_group(index, values, top) for index, values in enumerate(found))
    description = "; ".join(
        f"{group.name} latency " + ", ".join(f"{bar.label} {bar.value} ms" for bar in group.bars)
        for group in groups
    )
    return PerfChart(groups, _ticks(top), _notes(metrics), description, LAYOUT)


# Every value is HTML-escaped (the template marks nothing ``|safe``): reasons, findings and
# paths come from the scored project.
_ENVIRONMENT = Environment(
    loader=PackageLoader("evals.reports", "templates"),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
)
_ENVIRONMENT.filters["location"] = location
_ENVIRONMENT.filters["perf_chart"] = perf_chart


def render(result: RunResult) -> str:
    """The result as a standalone HTML page."""
    template = _ENVIRONMENT.get_template("report.html.j2")
    return template.render(
        result=result,
        tier=result.tier.name.lower(),
        verdict=verdict_text(result),
        counts=counts(result),
        categories=by_category(result),
        gate_failures=gate_failures(result),
        errors=errors(result),
        icons={status.value: icon for status, icon in STATUS_ICONS.items()},
    )
