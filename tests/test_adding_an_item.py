"""Adding a checklist item touches three files: the YAML entry, one check, one mutation test.

The test adds an item the way the README describes (a YAML entry in a copy of the checklist,
a check registered for it, a mutation targeting it) and proves that nothing else needs to
know: the registry agrees, the runner selects and scores it, the prompt lists it, the seed
mapping accepts it through its own ``seed`` quote, and the mutation guard asks for its
mutation test and for nothing else.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from evals import registry
from evals.checklist import CHECKLIST_PATH, load_checklist
from evals.context import CheckContext
from evals.model import Outcome, Status, Tier
from evals.registry import CheckSpec
from evals.runner import score_project, verify_registry
from scripts.render import render_claude_command
from tests.mutations.test_every_item_is_mutated import NOT_MUTABLE_HERE, all_mutations

NEW_ID = "docs.changelog"
NEW_ITEM: dict[str, str | int | bool] = {
    "id": NEW_ID,
    "title": "A changelog records every release",
    "category": "documentation",
    "gate": False,
    "weight": 1,
    "tier": "static",
    "verification": "automated",
    "seed": "README.md with comprehensive documentation",
    "rationale": "Readers of a service need to know what changed between two releases of it.",
    "how": "CHANGELOG.md exists at the project root.",
}


async def changelog_exists(ctx: CheckContext) -> Outcome:
    """The new item's check: CHANGELOG.md exists."""
    if (ctx.project / "CHANGELOG.md").is_file():
        return Outcome.passed()
    return Outcome.failed("no CHANGELOG.md")


def _extended_checklist(tmp_path: Path) -> Path:
    """A copy of the checklist with the new item appended (the one YAML entry)."""
    document = yaml.safe_load(CHECKLIST_PATH.read_text(encoding="utf-8"))
    document["items"].append(NEW_ITEM)
    path = tmp_path / "checklist.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return path


def _seed_lines() -> set[str]:
    """Every seed line of the seed map."""
    sections = yaml.safe_load(CHECKLIST_PATH.with_name("seed_checklist.yaml").read_text("utf-8"))
    return {line for section in sections["sections"].values() for line in section}


async def test_a_new_item_needs_its_entry_its_check_and_its_mutation_only(tmp_path: Path) -> None:
    path = _extended_checklist(tmp_path)
    checklist = load_checklist(path)
    registry.load_all()
    checks = {**registry.CHECKS, NEW_ID: CheckSpec(NEW_ID, changelog_exists)}
    verify_registry(checklist, checks)
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    result = await score_project(
        project, tier=Tier.STATIC, select=[NEW_ID], checklist=checklist, checks=checks
    )
    assert result.by_id(NEW_ID).status is Status.FAIL
    assert str(NEW_ITEM["title"]) in render_claude_command(checklist_path=path)
    assert NEW_ITEM["seed"] in _seed_lines()
    # The third file: without a mutation the guard names the new item, and nothing else.
    targeted = {target for mutation in all_mutations() for target in mutation.targets}
    unproven = {item.id for item in checklist.items} - targeted - set(NOT_MUTABLE_HERE)
    assert unproven == {NEW_ID}
