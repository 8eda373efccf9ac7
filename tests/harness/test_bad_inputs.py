"""Bad inputs at the full tier: a complete report every time, clear statuses, input unchanged.

The fixture projects (tests/fixtures/projects) are scored in place: the harness works on
a copy, so each test also proves the fixture is byte-identical afterwards.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from evals.checklist import load_checklist
from evals.model import RunResult, Status, Tier
from evals.reports import render
from evals.runner import score_project
from tests.harness.fakes import hash_tree
from tests.harness.test_reports import validate_json_report

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURES = REPO_ROOT / "tests" / "fixtures" / "projects"
FULL_TIER_FACTS = ("evals.facts.environment", "evals.facts.services", "evals.facts.testrun")
MISSING_FACTS = [name for name in FULL_TIER_FACTS if importlib.util.find_spec(name) is None]

pytestmark = [
    pytest.mark.full,
    pytest.mark.slow,
    pytest.mark.skipif(
        bool(MISSING_FACTS),
        reason=f"full-tier fact modules not written yet: {', '.join(MISSING_FACTS)}",
    ),
]


async def score_fixture(name: str, cache: Path, **options: object) -> RunResult:
    """Score the fixture project ``name``, asserting it is unchanged and the report complete."""
    project = FIXTURES / name
    before = hash_tree(project)
    result = await score_project(project, cache_dir=cache, **options)  # type: ignore[arg-type]
    assert hash_tree(project) == before
    validate_json_report(render("json", result))
    for check in result.checks:
        assert check.status is Status.PASS or check.outcome.reason, check.id
    return result


async def test_syntax_error_project_gets_a_complete_full_report(eval_cache_dir: Path) -> None:
    result = await score_fixture("syntax_error", eval_cache_dir, tier=Tier.FULL, timeout_s=120)
    assert [c.id for c in result.checks] == [i.id for i in load_checklist().items]
    assert not result.passed
    ruff = result.by_id("lint.ruff")
    assert ruff.status is Status.FAIL
    assert any(f.path == "src/app/main.py" for f in ruff.outcome.findings)
    assert result.by_id("api.health").status is not Status.PASS  # the app cannot be imported


async def test_hanging_tests_are_killed_and_reported(eval_cache_dir: Path) -> None:
    result = await score_fixture(
        "hanging_tests", eval_cache_dir, select=["tests.pass"], timeout_s=10
    )
    outcome = result.by_id("tests.pass").outcome
    assert outcome.status is Status.FAIL
    assert "timed out" in outcome.reason
    assert result.duration_s < 240


async def test_fifty_megabytes_of_output_are_capped(eval_cache_dir: Path) -> None:
    result = await score_fixture("noisy_tests", eval_cache_dir, select=["tests.pass"])
    assert result.by_id("tests.pass").status is Status.PASS
    assert len(render("json", result)) < 200_000
    assert len(render("html", result)) < 400_000


async def test_tests_writing_outside_their_directory_touch_only_the_copy(
    eval_cache_dir: Path,
) -> None:
    result = await score_fixture("escaping_tests", eval_cache_dir, select=["tests.pass"])
    assert result.by_id("tests.pass").status is Status.PASS
    assert not (FIXTURES / "ESCAPED_BY_TESTS.txt").exists()


def test_hanging_project_through_the_cli_writes_a_report(
    tmp_path: Path, eval_cache_dir: Path
) -> None:
    out = tmp_path / "result.json"
    argv = [sys.executable, "-m", "evals", "score", str(FIXTURES / "hanging_tests")]
    argv += ["--select", "tests.pass", "--timeout", "10", "--format", "json", "--output", str(out)]
    argv += ["--cache-dir", str(eval_cache_dir)]
    done = subprocess.run(
        argv, cwd=REPO_ROOT, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    document = json.loads(out.read_text())
    assert document["checks"][0]["status"] == "fail"
