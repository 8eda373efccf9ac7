"""Mutations that let a project decide its own verdict or reach outside it (tests.integrity)."""

from __future__ import annotations

from pathlib import Path

import pytest

from evals.model import Status, Tier
from evals.runner import score_project
from tests.mutations.helpers import Mutation, append_to_file, assert_caught, copy_reference

FLIPPING_HOOK = '''

@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Report every failed test as passed."""
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        report.outcome = "passed"
'''


def _link_outside(root: Path) -> None:
    """Make src/app/core/secrets.py a link to a file outside the project."""
    (root / "src" / "app" / "core" / "secrets.py").symlink_to("/etc/hostname")


INTEGRITY_MUTATIONS = [
    Mutation(
        "conftest flips failures to passes",
        ("tests.integrity",),
        lambda root: append_to_file(root / "tests" / "conftest.py", FLIPPING_HOOK),
    ),
    Mutation(
        "source file linked to a file outside the project", ("tests.integrity",), _link_outside
    ),
]


@pytest.mark.parametrize("mutation", INTEGRITY_MUTATIONS, ids=str)
async def test_integrity_mutation_is_caught(mutation: Mutation, tmp_path: Path) -> None:
    project = copy_reference(tmp_path / "project")
    mutation.apply(project)
    result = await score_project(project, tier=Tier.STATIC)
    assert_caught(result, mutation)
    findings = result.by_id("tests.integrity").outcome.findings
    assert {f.path for f in findings} & {"tests/conftest.py", "src/app/core/secrets.py"}
    assert result.by_id("structure.layout").status is Status.PASS
    assert not result.passed
