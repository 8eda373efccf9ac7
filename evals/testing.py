"""Helpers for unit-testing checks: run one check on a project directory.

Like repo-review's ``compute_check``: the check runs with fresh facts on a temporary
copy of the project, its exceptions converted to outcomes exactly as in a real run,
but its ``requires`` are ignored so each check can be tested on its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from evals import registry
from evals.checklist import Checklist, ChecklistItem, load_checklist
from evals.context import CheckContext, Facts
from evals.model import Outcome, Tier
from evals.registry import CheckSpec, RegistryError
from evals.runner import (
    CHECK_TIMEOUT_S,
    RunSettings,
    cancel_pending_facts,
    evaluate,
    run_cleanups,
)
from evals.workspace import workspace


def _lookup(item_id: str, checklist: Checklist | None) -> tuple[ChecklistItem, CheckSpec]:
    """The checklist item and the registered check for ``item_id``."""
    registry.load_all()
    item = (checklist if checklist is not None else load_checklist()).get(item_id)
    spec = registry.CHECKS.get(item_id)
    if spec is None:
        raise RegistryError(f"no check registered for {item_id!r}")
    return item, spec


async def compute_check(  # noqa: PLR0913 - mirrors score_project's keywords
    item_id: str,
    project: Path,
    *,
    tier: Tier = Tier.FULL,
    env: Mapping[str, str] | None = None,
    checklist: Checklist | None = None,
    cache_dir: Path | None = None,
) -> Outcome:
    """Run the check for ``item_id`` (and the facts it asks for) on a copy of ``project``.

    Args:
        item_id: The checklist id whose check to run.
        project: The project directory; it is copied, never modified.
        tier: Tier recorded in the run options the facts see.
        env: Extra environment for the project's processes.
        checklist: The checklist; ``evals/checklist.yaml`` when None.
        cache_dir: Cache of installed environments; the default cache when None.

    Returns:
        The check's outcome; exceptions become ``error``/``skip`` as in a real run.

    Raises:
        KeyError: If ``item_id`` is not in the checklist.
        RegistryError: If no check is registered for ``item_id``.
    """
    item, spec = _lookup(item_id, checklist)
    settings = RunSettings(tier=tier, env=dict(env or {}), cache_dir=cache_dir)
    async with workspace(project, prefix="evals-check-") as scratch:
        facts = Facts(scratch.project, settings.options(scratch.root))
        try:
            return await evaluate(spec, CheckContext(item, facts), CHECK_TIMEOUT_S[item.tier])
        finally:
            await cancel_pending_facts(facts)
            await run_cleanups(facts)
