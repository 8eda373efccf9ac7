"""The single-file HTML report (Jinja2 template, inline CSS, no external assets)."""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, select_autoescape

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

_ENVIRONMENT = Environment(
    loader=PackageLoader("evals.reports", "templates"),
    autoescape=select_autoescape(("html", "j2")),
    trim_blocks=True,
    lstrip_blocks=True,
)
_ENVIRONMENT.filters["location"] = location


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
