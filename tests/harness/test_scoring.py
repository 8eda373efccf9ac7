"""Score and gate verdict."""

from __future__ import annotations

from evals.model import Status
from evals.scoring import blocking, gate_verdict, weighted_score
from tests.harness.fakes import result


def test_score_is_weighted_share_of_passes() -> None:
    results = [result("a.a", Status.PASS, weight=3), result("a.b", Status.FAIL, weight=1)]
    assert weighted_score(results) == 75.0


def test_error_and_skip_are_excluded_from_the_score() -> None:
    results = [
        result("a.a", Status.PASS, weight=1),
        result("a.b", Status.ERROR, weight=10),
        result("a.c", Status.SKIP, weight=10),
    ]
    assert weighted_score(results) == 100.0


def test_nothing_evaluated_scores_zero() -> None:
    assert weighted_score([result("a.a", Status.ERROR)]) == 0.0
    assert weighted_score([]) == 0.0


def test_score_is_rounded() -> None:
    results = [result("a.a", Status.PASS), result("a.b", Status.FAIL), result("a.c", Status.FAIL)]
    assert weighted_score(results) == 33.33


def test_failed_gate_fails_the_verdict() -> None:
    assert not gate_verdict([result("a.a", Status.PASS), result("a.b", Status.FAIL)])


def test_failed_non_gate_item_does_not_fail_the_verdict() -> None:
    assert gate_verdict([result("a.a", Status.PASS), result("a.b", Status.FAIL, gate=False)])


def test_gate_error_fails_only_with_fail_on_error() -> None:
    results = [result("a.a", Status.ERROR)]
    assert gate_verdict(results)
    assert not gate_verdict(results, fail_on_error=True)


def test_non_gate_error_never_blocks() -> None:
    assert not blocking(result("a.a", Status.ERROR, gate=False), fail_on_error=True)


def test_skip_never_blocks() -> None:
    assert gate_verdict([result("a.a", Status.SKIP)], fail_on_error=True)
