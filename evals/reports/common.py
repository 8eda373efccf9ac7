"""Small views of a run result shared by several report formats."""

from __future__ import annotations

import re
from collections import Counter
from itertools import groupby

from evals.model import CheckResult, Finding, RunResult, Status

STATUS_ORDER = (Status.PASS, Status.FAIL, Status.ERROR, Status.SKIP)
STATUS_ICONS = {Status.PASS: "✔", Status.FAIL: "✘", Status.ERROR: "!", Status.SKIP: "-"}
_WHITESPACE = re.compile(r"\s+")


def inline(text: str) -> str:
    """``text`` on one line: each run of whitespace, line breaks included, becomes one space.

    Reports use it wherever a project's text could otherwise start a line of its own. It
    also keeps a project from slowing the terminal's line wrapping down with huge blank runs.
    """
    return _WHITESPACE.sub(" ", text)


def by_category(result: RunResult) -> list[tuple[str, list[CheckResult]]]:
    """The results grouped by category, categories in order of first appearance."""
    order = {
        category: index
        for index, category in enumerate(dict.fromkeys(c.category for c in result.checks))
    }
    ordered = sorted(result.checks, key=lambda check: order[check.category])
    return [
        (category, list(group)) for category, group in groupby(ordered, key=lambda c: c.category)
    ]


def counts(result: RunResult) -> dict[str, int]:
    """How many results have each status (every status present, zeros included)."""
    counter = Counter(check.status for check in result.checks)
    return {status.value: counter.get(status, 0) for status in STATUS_ORDER}


def gate_failures(result: RunResult) -> list[CheckResult]:
    """Gate items that failed."""
    return [check for check in result.checks if check.gate and check.status is Status.FAIL]


def errors(result: RunResult) -> list[CheckResult]:
    """Items the harness could not evaluate."""
    return [check for check in result.checks if check.status is Status.ERROR]


def location(finding: Finding) -> str:
    """``path:line``, ``path`` or an empty string."""
    if finding.path is None:
        return ""
    return f"{finding.path}:{finding.line}" if finding.line is not None else finding.path


def verdict_text(result: RunResult) -> str:
    """``PASSED`` or ``FAILED``."""
    return "PASSED" if result.passed else "FAILED"
