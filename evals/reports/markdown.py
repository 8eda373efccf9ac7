"""The Markdown summary, for ``$GITHUB_STEP_SUMMARY`` and pull-request comments."""

from __future__ import annotations

import re

from evals.model import CheckResult, RunResult
from evals.reports.common import (
    STATUS_ICONS,
    by_category,
    counts,
    errors,
    gate_failures,
    inline,
    location,
)

FINDINGS_SHOWN = 20
# Characters with a meaning in inline CommonMark or GitHub Markdown (escapes, code spans,
# emphasis, links and images, table cells, strikethrough, math), escaped with a backslash.
# Project text never starts a line here, so block markers (#, -, +, 1.) need no escape.
_MARKUP = re.compile(r"([\\`*_\[\]|~$])")
_HTML = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})
_BACKTICKS = re.compile("`+")


def _cell(text: str) -> str:
    """``text`` as literal inline Markdown: one line, no HTML, no markup, no table breaks.

    HTML-significant characters become entities and every Markdown punctuation character
    is backslash-escaped, so the project's text renders as exactly itself.
    """
    return _MARKUP.sub(r"\\\1", inline(text).translate(_HTML))


def _code(text: str, *, in_table: bool = False) -> str:
    """``text`` as a code span whose fence is longer than any backtick run inside it.

    Nothing inside a code span is markup or HTML (CommonMark). In a table cell, pipes are
    backslash-escaped too: GFM splits rows before it parses code spans, and drops the
    backslash again.

    Args:
        text: The literal text.
        in_table: Whether the span goes into a GFM table cell.
    """
    text = inline(text)
    if in_table:
        text = text.replace("|", "\\|")
    fence = "`" * (max((len(run) for run in _BACKTICKS.findall(text)), default=0) + 1)
    if text.startswith(("`", " ")) or text.endswith(("`", " ")):
        text = f" {text} "
    return f"{fence}{text}{fence}"


def _header(result: RunResult) -> list[str]:
    tally = counts(result)
    verdict = "✅ passed" if result.passed else "❌ failed"
    return [
        f"# Scorecard: {_code(result.project)}",
        "",
        f"**Score {result.score:g}/100, {verdict}** (tier {result.tier.name.lower()},"
        f" {result.duration_s:.1f}s)",
        "",
        f"{tally['pass']} pass · {tally['fail']} fail · {tally['error']} error ·"
        f" {tally['skip']} skip · checklist `{result.checklist_sha256[:12]}` ·"
        f" command {_cell(result.command_version)}"
        + (f" · case {_cell(result.case)}" if result.case else ""),
        "",
    ]


def _listing(title: str, checks: list[CheckResult]) -> list[str]:
    """A headed bullet list of ``checks`` with their reasons and collapsible findings."""
    if not checks:
        return []
    lines = [f"## {title}", ""]
    for check in checks:
        lines.append(f"- **{_cell(check.id)}**: {_cell(check.outcome.reason)}")
        findings = check.outcome.findings[:FINDINGS_SHOWN]
        if findings:
            lines.append(f"  <details><summary>{len(check.outcome.findings)} findings</summary>")
            lines.append("")
            lines += [f"  - {_code(location(f) or '-')} {_cell(f.message)}" for f in findings]
            lines += ["", "  </details>"]
    return [*lines, ""]


def _table(result: RunResult) -> list[str]:
    lines = ["## All items", "", "| | Item | Category | Gate | Reason |", "|---|---|---|---|---|"]
    for category, checks in by_category(result):
        for check in checks:
            gate = "gate" if check.gate else ""
            icon = f"{STATUS_ICONS[check.status]} {check.status.value}"
            lines.append(
                f"| {icon} | {_code(check.id, in_table=True)} {_cell(check.title)} |"
                f" {_cell(category)} | {gate} |"
                f" {_cell(check.outcome.reason)} |"
            )
    return [*lines, ""]


def render(result: RunResult) -> str:
    """The result as a Markdown document."""
    lines = _header(result)
    lines += _listing("Gate failures", gate_failures(result))
    lines += _listing("Errors (not scored: the harness could not evaluate)", errors(result))
    lines += _table(result)
    return "\n".join(lines)
