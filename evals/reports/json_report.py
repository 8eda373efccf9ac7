"""The JSON report: the canonical machine-readable result (schema: evals/result.schema.json)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from evals.model import CheckResult, RunResult
from evals.reports.common import counts, errors, gate_failures

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "result.schema.json"
SCHEMA_VERSION = 1


def check_to_dict(check: CheckResult) -> dict[str, Any]:
    """One check as a JSON object."""
    return {
        "id": check.id,
        "title": check.title,
        "category": check.category,
        "gate": check.gate,
        "weight": check.weight,
        "status": check.status.value,
        "reason": check.outcome.reason,
        "findings": [
            {"path": f.path, "line": f.line, "message": f.message} for f in check.outcome.findings
        ],
        "metrics": dict(check.outcome.metrics),
        "duration_s": check.duration_s,
    }


def metrics(result: RunResult) -> dict[str, float | int | str]:
    """Every check's metrics flattened to ``item_id.metric`` keys."""
    return {
        f"{check.id}.{name}": value
        for check in result.checks
        for name, value in check.outcome.metrics.items()
    }


def provenance(result: RunResult) -> dict[str, Any]:
    """What the result was produced with: checklist, command, time, sandbox and case."""
    return {
        "checklist_sha256": result.checklist_sha256,
        "command_version": result.command_version,
        "started_at": result.started_at,
        "duration_s": result.duration_s,
        "sandbox": result.sandbox,
        "case": result.case,
    }


def to_dict(result: RunResult) -> dict[str, Any]:
    """The whole result as a JSON-compatible dict."""
    return {
        "schema_version": SCHEMA_VERSION,
        "project": result.project,
        "tier": result.tier.name.lower(),
        "score": result.score,
        "passed": result.passed,
        **provenance(result),
        "summary": {
            "counts": counts(result),
            "gate_failures": [check.id for check in gate_failures(result)],
            "errors": [check.id for check in errors(result)],
        },
        "metrics": metrics(result),
        "checks": [check_to_dict(check) for check in result.checks],
    }


def render(result: RunResult) -> str:
    """The result as indented JSON text."""
    return json.dumps(to_dict(result), indent=2, ensure_ascii=False) + "\n"
