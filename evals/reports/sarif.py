"""The SARIF 2.1.0 report: checklist items as rules, findings as located results.

Uploaded to GitHub code scanning, failed items show up as alerts on the lines their
findings name. Items the harness could not evaluate are tool execution notifications,
not results: they say nothing about the code.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from evals.model import CheckResult, Finding, RunResult, Status

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
TOOL_NAME = "fastapi-command-eval"
SRCROOT = "%SRCROOT%"


def _level(check: CheckResult) -> str:
    return "error" if check.gate else "warning"


def _rule(check: CheckResult) -> dict[str, Any]:
    return {
        "id": check.id,
        "name": "".join(part.title() for part in check.id.replace("_", ".").split(".")),
        "shortDescription": {"text": check.title},
        "defaultConfiguration": {"level": _level(check)},
        "properties": {"category": check.category, "gate": check.gate, "weight": check.weight},
    }


def _location(finding: Finding) -> list[dict[str, Any]]:
    """The finding's location as SARIF ``locations`` (empty when it has no path).

    The path is percent-encoded: SARIF wants a URI reference, and a project's file names
    may hold spaces, ``%``, ``#`` or ``?``.
    """
    if not finding.path:
        return []
    uri = quote(finding.path, safe="/")
    physical: dict[str, Any] = {"artifactLocation": {"uri": uri, "uriBaseId": SRCROOT}}
    if finding.line is not None and finding.line >= 1:
        physical["region"] = {"startLine": finding.line}
    return [{"physicalLocation": physical}]


def _results(check: CheckResult, rule_index: int) -> list[dict[str, Any]]:
    """One SARIF result per finding of a failed check (one for the reason if it has none)."""
    if check.status is not Status.FAIL:
        return []
    findings = check.outcome.findings or (Finding(check.outcome.reason),)
    return [
        {
            "ruleId": check.id,
            "ruleIndex": rule_index,
            "level": _level(check),
            "message": {"text": finding.message},
            "locations": _location(finding),
        }
        for finding in findings
    ]


def _invocation(result: RunResult) -> dict[str, Any]:
    """The run's invocation, with a notification per item the harness could not evaluate."""
    notifications = [
        {
            "level": "error" if check.status is Status.ERROR else "note",
            "message": {"text": f"{check.id} {check.status.value}: {check.outcome.reason}"},
            "descriptor": {"id": check.id},
        }
        for check in result.checks
        if check.status in (Status.ERROR, Status.SKIP)
    ]
    errored = any(check.status is Status.ERROR for check in result.checks)
    return {"executionSuccessful": not errored, "toolExecutionNotifications": notifications}


def _properties(result: RunResult) -> dict[str, Any]:
    return {
        "score": result.score,
        "passed": result.passed,
        "tier": result.tier.name.lower(),
        "checklist_sha256": result.checklist_sha256,
    }


def to_dict(result: RunResult) -> dict[str, Any]:
    """The result as a SARIF log with one run."""
    checks = list(result.checks)
    driver = {
        "name": TOOL_NAME,
        "version": result.command_version,
        "rules": [_rule(check) for check in checks],
    }
    results = [r for index, check in enumerate(checks) for r in _results(check, index)]
    run = {
        "tool": {"driver": driver},
        "originalUriBaseIds": {SRCROOT: {"description": {"text": "Root of the scored project"}}},
        "invocations": [_invocation(result)],
        "results": results,
        "properties": _properties(result),
    }
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def render(result: RunResult) -> str:
    """The SARIF log as indented JSON text."""
    return json.dumps(to_dict(result), indent=2, ensure_ascii=False) + "\n"
