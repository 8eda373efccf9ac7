"""Turn check results into a weighted score and a gate verdict."""

from __future__ import annotations

from collections.abc import Iterable

from evals.model import CheckResult, Status

EVALUATED = frozenset({Status.PASS, Status.FAIL})


def weighted_score(results: Iterable[CheckResult]) -> float:
    """Weighted share of passing items among those evaluated (pass or fail), 0-100.

    Items in ``error`` or ``skip`` are excluded: the harness could not judge them, or
    they do not apply. With nothing evaluated the score is 0.

    Returns:
        The score rounded to two decimals.
    """
    evaluated = [r for r in results if r.status in EVALUATED]
    total = sum(r.weight for r in evaluated)
    if total <= 0:
        return 0.0
    earned = sum(r.weight for r in evaluated if r.status is Status.PASS)
    return round(100.0 * earned / total, 2)


def blocking(result: CheckResult, *, fail_on_error: bool = False) -> bool:
    """Whether ``result`` fails the gate verdict.

    A gate item fails the verdict when it failed, or, with ``fail_on_error``, when the
    harness could not evaluate it.
    """
    if not result.gate:
        return False
    if result.status is Status.FAIL:
        return True
    return fail_on_error and result.status is Status.ERROR


def gate_verdict(results: Iterable[CheckResult], *, fail_on_error: bool = False) -> bool:
    """True when no gate item blocks the verdict (see :func:`blocking`)."""
    return not any(blocking(r, fail_on_error=fail_on_error) for r in results)
