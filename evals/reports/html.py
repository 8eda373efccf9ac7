"""The single-file HTML report (Jinja2 template, inline CSS, no external assets)."""

from __future__ import annotations

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

# Every value is HTML-escaped (the template marks nothing ``|safe``): reasons, findings and
# paths come from the scored project.
_ENVIRONMENT = Environment(
    loader=PackageLoader("evals.reports", "templates"),
    autoescape=True,
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
