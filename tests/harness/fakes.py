"""Fake checklists, checks and results for unit tests of the harness machinery."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from pathlib import Path

from evals.checklist import Checklist, ChecklistItem
from evals.context import CheckContext
from evals.model import CheckResult, Finding, Outcome, RunResult, Status, Tier
from evals.registry import CheckSpec

CheckFn = Callable[[CheckContext], Awaitable[Outcome]]
FAKE_SHA = hashlib.sha256(b"fake checklist").hexdigest()


def item(
    item_id: str, *, tier: Tier = Tier.STATIC, gate: bool = True, weight: float = 1.0
) -> ChecklistItem:
    """A checklist item with placeholder prose."""
    category = item_id.split(".", 1)[0]
    return ChecklistItem(
        id=item_id,
        title=f"Title of {item_id}",
        category=category,
        gate=gate,
        weight=weight,
        tier=tier,
        rationale="why",
        seed="seed line",
        how="how",
    )


def checklist(*items: ChecklistItem) -> Checklist:
    """A checklist of ``items`` with a fixed fingerprint."""
    return Checklist(items=tuple(items), sha256=FAKE_SHA, version=1)


def returning(outcome: Outcome) -> CheckFn:
    """A check that returns ``outcome``."""

    async def fake(ctx: CheckContext) -> Outcome:
        del ctx
        return outcome

    return fake


def raising(exc: BaseException) -> CheckFn:
    """A check that raises ``exc``."""

    async def fake(ctx: CheckContext) -> Outcome:
        del ctx
        raise exc

    return fake


def specs(**funcs: CheckFn) -> dict[str, CheckSpec]:
    """Check specs keyed by id; keyword names use ``__`` for the dot (``a__b`` is ``a.b``)."""
    return {
        name.replace("__", "."): CheckSpec(name.replace("__", "."), f) for name, f in funcs.items()
    }


def result(
    item_id: str,
    status: Status,
    *,
    gate: bool = True,
    weight: float = 1.0,
    findings: tuple[Finding, ...] = (),
) -> CheckResult:
    """A check result with a reason for every non-pass status."""
    reason = "" if status is Status.PASS else f"{item_id} is {status.value}"
    outcome = Outcome(status, reason, findings, {"count": len(findings)})
    category = item_id.split(".", 1)[0]
    return CheckResult(item_id, f"Title of {item_id}", category, gate, weight, outcome, 0.25)


def run_result(*checks: CheckResult, passed: bool = True, score: float = 100.0) -> RunResult:
    """A run result holding ``checks``."""
    return RunResult(
        project="demo",
        tier=Tier.STATIC,
        score=score,
        passed=passed,
        checklist_sha256=FAKE_SHA,
        command_version="1.2.3",
        checks=tuple(checks),
        started_at="2026-01-01T00:00:00+00:00",
        duration_s=1.5,
    )


def sample_result() -> RunResult:
    """A run with every status, gate and non-gate items, located and unlocated findings."""
    located = (
        Finding("function too long", "src/app/main.py", 12),
        Finding("missing docstring <b>&</b>", "src/app/x.py", None),
        Finding("no location at all"),
    )
    return run_result(
        result("lint.ruff", Status.PASS, weight=5),
        result("code.function_length", Status.FAIL, weight=2, findings=located),
        result("docs.readme", Status.FAIL, gate=False),
        result("security.dependencies", Status.ERROR, weight=3),
        result("kafka.dlq", Status.SKIP),
        passed=False,
        score=62.5,
    )


def hash_tree(root: Path) -> dict[str, str]:
    """SHA-256 of every file under ``root`` (and the set of paths), to prove it unchanged."""
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }
