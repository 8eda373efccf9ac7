"""Report formats: each is a pure function from a :class:`~evals.model.RunResult` to text."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from evals.model import RunResult
from evals.reports import html, json_report, junit, markdown, sarif, terminal


@dataclass(frozen=True)
class ReportFormat:
    """One output format.

    Attributes:
        name: The ``--format`` value.
        filename: File name used when several formats are written to a directory.
        render: Turns a result into the report's text.
    """

    name: str
    filename: str
    render: Callable[[RunResult], str]


FORMATS: dict[str, ReportFormat] = {
    fmt.name: fmt
    for fmt in (
        ReportFormat("terminal", "scorecard.txt", terminal.render),
        ReportFormat("json", "result.json", json_report.render),
        ReportFormat("junit", "junit.xml", junit.render),
        ReportFormat("sarif", "result.sarif", sarif.render),
        ReportFormat("markdown", "summary.md", markdown.render),
        ReportFormat("html", "report.html", html.render),
    )
}


def render(format_name: str, result: RunResult) -> str:
    """Render ``result`` in the format called ``format_name``.

    Raises:
        KeyError: If no format has that name.
    """
    return FORMATS[format_name].render(result)
