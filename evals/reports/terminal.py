"""The terminal scorecard: a rich table grouped by category, then score, verdict and errors."""

from __future__ import annotations

from io import StringIO

from rich.console import Console, Group, RenderableType
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from evals.model import CheckResult, RunResult, Status
from evals.reports.common import STATUS_ICONS, by_category, counts, errors, gate_failures, location

STYLES = {
    Status.PASS: "green",
    Status.FAIL: "bold red",
    Status.ERROR: "bold magenta",
    Status.SKIP: "yellow",
}
DEFAULT_WIDTH = 120
FINDINGS_SHOWN = 5


def _status_cell(check: CheckResult) -> Text:
    return Text(f"{STATUS_ICONS[check.status]} {check.status.value}", style=STYLES[check.status])


COLUMNS = (
    ("Status", {"no_wrap": True}),
    ("Item", {"no_wrap": True}),
    ("Gate", {"justify": "center"}),
    ("Weight", {"justify": "right"}),
    ("Time", {"justify": "right", "no_wrap": True}),
    ("Reason", {"ratio": 1}),
)


def _row(check: CheckResult) -> tuple[Text, str, str, str, str, str]:
    gate = "●" if check.gate else "○"
    timing = f"{check.duration_s:.1f}s"
    return (_status_cell(check), check.id, gate, f"{check.weight:g}", timing, check.outcome.reason)


def _table(result: RunResult) -> Table:
    """All checks in one table, one section per category."""
    table = Table(title=f"Scorecard: {escape(result.project)}", title_justify="left", expand=True)
    for name, options in COLUMNS:
        table.add_column(name, **options)
    for category, checks in by_category(result):
        table.add_row(Text(category.upper(), style="bold cyan"))
        for check in checks:
            table.add_row(*_row(check))
        table.add_section()
    return table


def _summary(result: RunResult) -> Text:
    tally = counts(result)
    verdict = (
        Text("PASSED", style="bold green") if result.passed else Text("FAILED", style="bold red")
    )
    summary = Text.assemble(
        ("Score ", "bold"), (f"{result.score:g}/100", "bold"), "   verdict ", verdict
    )
    tallies = ", ".join(f"{count} {status}" for status, count in tally.items())
    summary.append(f"   {tallies}   tier {result.tier.name.lower()}, {result.duration_s:.1f}s")
    return summary


def _detail(title: str, style: str, checks: list[CheckResult]) -> list[RenderableType]:
    """A headed list of ``checks`` with their reasons and first findings."""
    if not checks:
        return []
    lines: list[RenderableType] = [Text(title, style=style)]
    for check in checks:
        lines.append(Text.assemble(f"  {check.id}: ", (check.outcome.reason, "default")))
        shown = check.outcome.findings[:FINDINGS_SHOWN]
        lines.extend(Text(f"      {location(f) or '-'}  {f.message}", style="dim") for f in shown)
        hidden = len(check.outcome.findings) - len(shown)
        if hidden > 0:
            lines.append(Text(f"      ... and {hidden} more", style="dim"))
    return lines


def scorecard(result: RunResult) -> Group:
    """The scorecard as a rich renderable (table, gate failures, errors, summary)."""
    parts: list[RenderableType] = [_table(result)]
    parts += _detail("Gate failures", "bold red", gate_failures(result))
    parts += _detail(
        "Errors: the harness could not evaluate (not scored)", "bold magenta", errors(result)
    )
    parts.append(_summary(result))
    return Group(*parts)


def render_text(result: RunResult, *, color: bool = False, width: int = DEFAULT_WIDTH) -> str:
    """The scorecard as text, with ANSI colours only when ``color`` is true."""
    buffer = StringIO()
    console = Console(
        file=buffer, width=width, force_terminal=color, no_color=not color, highlight=False
    )
    console.print(scorecard(result))
    return buffer.getvalue()


def render(result: RunResult) -> str:
    """The plain-text scorecard (no colours), as written to ``scorecard.txt``."""
    return render_text(result)
