"""The Markdown summary, for ``$GITHUB_STEP_SUMMARY`` and pull-request comments."""

from __future__ import annotations

from evals.model import CheckResult, RunResult
from evals.reports.common import STATUS_ICONS, by_category, counts, errors, gate_failures, location

FINDINGS_SHOWN = 20


def _cell(text: str) -> str:
    """Make ``text`` safe inside a table cell or list item (no HTML, pipes or newlines)."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return escaped.replace("|", "\\|").replace("\n", " ")


def _header(result: RunResult) -> list[str]:
    tally = counts(result)
    verdict = "✅ passed" if result.passed else "❌ failed"
    return [
        f"# Scorecard: `{result.project}`",
        "",
        f"**Score {result.score:g}/100, {verdict}** (tier {result.tier.name.lower()},"
        f" {result.duration_s:.1f}s)",
        "",
        f"{tally['pass']} pass · {tally['fail']} fail · {tally['error']} error ·"
        f" {tally['skip']} skip · checklist `{result.checklist_sha256[:12]}` ·"
        f" command {result.command_version}",
        "",
    ]


def _listing(title: str, checks: list[CheckResult]) -> list[str]:
    """A headed bullet list of ``checks`` with their reasons and collapsible findings."""
    if not checks:
        return []
    lines = [f"## {title}", ""]
    for check in checks:
        lines.append(f"- **{check.id}**: {_cell(check.outcome.reason)}")
        findings = check.outcome.findings[:FINDINGS_SHOWN]
        if findings:
            lines.append(f"  <details><summary>{len(check.outcome.findings)} findings</summary>")
            lines.append("")
            lines += [f"  - `{location(f) or '-'}` {_cell(f.message)}" for f in findings]
            lines += ["", "  </details>"]
    return [*lines, ""]


def _table(result: RunResult) -> list[str]:
    lines = ["## All items", "", "| | Item | Category | Gate | Reason |", "|---|---|---|---|---|"]
    for category, checks in by_category(result):
        for check in checks:
            gate = "gate" if check.gate else ""
            icon = f"{STATUS_ICONS[check.status]} {check.status.value}"
            lines.append(
                f"| {icon} | `{check.id}` {_cell(check.title)} | {category} | {gate} |"
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
