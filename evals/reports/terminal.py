"""The terminal scorecard: a rich table grouped by category, then score, verdict and errors."""

from __future__ import annotations

from io import StringIO

from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from evals.model import CheckResult, RunResult, Status
from evals.reports.common import (
    STATUS_ICONS,
    by_category,
    counts,
    errors,
    gate_failures,
    inline,
    location,
)

STYLES = {
    Status.PASS: "green",
    Status.FAIL: "bold red",
    Status.ERROR: "bold magenta",
    Status.SKIP: "yellow",
}
DEFAULT_WIDTH = 120
FINDINGS_SHOWN = 5
LABEL_MAX_WIDTH = 48


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


def _row(check: CheckResult) -> tuple[Text, ...]:
    """One table row; every cell is a :class:`Text`, so no text is read as Rich markup."""
    gate = "●" if check.gate else "○"
    timing = f"{check.duration_s:.1f}s"
    cells = (check.id, gate, f"{check.weight:g}", timing, inline(check.outcome.reason))
    return (_status_cell(check), *(Text(cell) for cell in cells))


def _table(result: RunResult) -> Table:
    """All checks in one table, one section per category."""
    title = Text(f"Scorecard: {inline(result.project)}")
    table = Table(title=title, title_justify="left", expand=True)
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


def _hanging(rows: list[tuple[str, str]], indent: int, gap: int, style: str = "") -> Padding:
    """Label and text rows whose wrapped lines stay indented under the text.

    A long reason or message therefore never wraps to a line that could pass for one of
    the scorecard's own lines.
    """
    grid = Table.grid(padding=(0, gap))
    grid.add_column(no_wrap=False, max_width=LABEL_MAX_WIDTH, overflow="fold")
    grid.add_column(overflow="fold")
    for label, text in rows:
        grid.add_row(Text(label, style=style), Text(inline(text), style=style))
    return Padding(grid, (0, 0, 0, indent), expand=False)


def _detail(title: str, style: str, checks: list[CheckResult]) -> list[RenderableType]:
    """A headed list of ``checks`` with their reasons and first findings."""
    if not checks:
        return []
    lines: list[RenderableType] = [Text(title, style=style)]
    for check in checks:
        lines.append(_hanging([(f"{check.id}:", check.outcome.reason)], 2, 1))
        shown = check.outcome.findings[:FINDINGS_SHOWN]
        rows = [(location(f) or "-", f.message) for f in shown]
        hidden = len(check.outcome.findings) - len(shown)
        if hidden > 0:
            rows.append(("...", f"and {hidden} more"))
        if rows:
            lines.append(_hanging(rows, 6, 2, "dim"))
    return lines


def scorecard(result: RunResult) -> Group:
    """The scorecard as a rich renderable (table, gate failures, errors, summary)."""
    parts: list[RenderableType] = [_table(result)]
    parts += _detail("Gate failures", "bold red", gate_failures(result))
    parts += _detail(
        "Errors: the harness could not evaluate (not scored)", "bold magenta", errors(result)
    )
    if result.sandbox:
        unconfined = result.sandbox.startswith("none")
        style = "bold red" if unconfined else "dim"
        parts.append(Text(f"Sandbox: {inline(result.sandbox)}", style=style))
    if result.case:
        parts.append(Text(f"Case: {inline(result.case)}", style="dim"))
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
