"""Mutations that break the project's installation (build.install) and what depends on it."""

from __future__ import annotations

from pathlib import Path

import pytest

from evals.model import Status, Tier
from tests.mutations.helpers import Mutation, assert_caught, replace_in_file, score_mutation

PYPROJECT = "pyproject.toml"


def add_dependency_without_relocking(root: Path) -> None:
    """Declare a new dependency in pyproject.toml but leave poetry.lock as it was."""
    replace_in_file(root / PYPROJECT, "dependencies = [\n", 'dependencies = [\n    "idna>=3.6",\n')


BUILD_MUTATIONS = [
    Mutation(
        "dependency added without re-locking", ("build.install",), add_dependency_without_relocking
    ),
]


@pytest.mark.slow
@pytest.mark.parametrize("mutation", BUILD_MUTATIONS, ids=str)
async def test_build_mutation_is_caught_once(mutation: Mutation, tmp_path: Path) -> None:
    """The stale lock fails build.install; the items needing the environment skip with why."""
    dependents = ["db.migrations", "tests.pass", "api.health", "logging.structured"]
    result = await score_mutation(
        mutation, tmp_path / "project", tier=Tier.FULL, select=["build.install", *dependents]
    )
    assert_caught(result, mutation)
    for item_id in dependents:
        dependent = result.by_id(item_id)
        assert dependent.status is Status.SKIP, (item_id, dependent.outcome)
        assert dependent.outcome.reason.startswith("requires build.install, which is fail: ")
