"""Mutations that break the required layout (structure.layout)."""

from __future__ import annotations

from pathlib import Path

import pytest

from evals.model import Tier
from evals.runner import score_project
from tests.mutations.helpers import Mutation, assert_caught, copy_reference, remove_path

STRUCTURE_MUTATIONS = [
    Mutation(
        "repositories layer deleted",
        ("structure.layout",),
        lambda root: remove_path(root / "src/app/repositories"),
    ),
    Mutation(
        "Kafka consumer module deleted",
        ("structure.layout",),
        lambda root: remove_path(root / "src/app/kafka/consumer.py"),
    ),
]


@pytest.mark.parametrize("mutation", STRUCTURE_MUTATIONS, ids=str)
async def test_structure_mutation_is_caught(mutation: Mutation, tmp_path: Path) -> None:
    project = copy_reference(tmp_path / "project")
    mutation.apply(project)
    result = await score_project(project, tier=Tier.STATIC, select=["structure.layout"])
    assert_caught(result, mutation)
    missing = {finding.path for finding in result.by_id("structure.layout").outcome.findings}
    assert missing & {"src/app/repositories/", "src/app/kafka/consumer.py"}
