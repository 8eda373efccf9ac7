"""The golden reference scores 100 with every gate passing on the full tier, with its case."""

from __future__ import annotations

import pytest

from evals.contract import case_contract
from evals.model import RunResult, Status, Tier
from evals.runner import score_project
from tests.mutations.helpers import ALLOWED_ERRORS, REFERENCE_IMPL


def _problems(result: RunResult) -> list[str]:
    """Every item that did not pass, except errors the harness cannot avoid here."""
    return [
        f"{check.id}: {check.status.value} ({check.outcome.reason})"
        for check in result.checks
        if check.status is not Status.PASS
        and not (check.status is Status.ERROR and check.id in ALLOWED_ERRORS)
    ]


@pytest.mark.slow
@pytest.mark.full
async def test_reference_scores_100_with_every_gate_passing() -> None:
    result = await score_project(
        REFERENCE_IMPL, tier=Tier.FULL, contract=case_contract("order-service")
    )
    problems = _problems(result)
    assert not problems, "\n".join(problems)
    assert result.score == 100
    assert result.passed
    assert result.tier is Tier.FULL
