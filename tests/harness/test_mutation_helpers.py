"""The building blocks of the mutation suite."""

from __future__ import annotations

from pathlib import Path

import pytest

from evals.model import Status
from tests.harness.fakes import result, run_result
from tests.mutations.helpers import (
    REFERENCE_IMPL,
    Mutation,
    MutationError,
    append_to_file,
    assert_caught,
    copy_reference,
    remove_path,
    replace_in_file,
)


def _noop(project: Path) -> None:
    del project


DROP_DLQ = Mutation("drop the DLQ", ("kafka.dlq",), _noop)


def test_replace_in_file_replaces(tmp_path: Path) -> None:
    target = tmp_path / "a.py"
    target.write_text("x = 1\ny = 1\n")
    replace_in_file(target, "= 1", "= 2")
    assert target.read_text() == "x = 2\ny = 2\n"


def test_replace_in_file_refuses_to_do_nothing(tmp_path: Path) -> None:
    target = tmp_path / "a.py"
    target.write_text("x = 1\n")
    with pytest.raises(MutationError, match="not found"):
        replace_in_file(target, "y = 1", "y = 2")
    with pytest.raises(MutationError, match="no such file"):
        replace_in_file(tmp_path / "absent.py", "x", "y")


def test_append_and_remove_refuse_missing_paths(tmp_path: Path) -> None:
    target = tmp_path / "a.py"
    target.write_text("x = 1\n")
    append_to_file(target, "y = 2\n")
    assert target.read_text() == "x = 1\ny = 2\n"
    remove_path(target)
    assert not target.exists()
    with pytest.raises(MutationError):
        append_to_file(target, "z")
    with pytest.raises(MutationError):
        remove_path(target)


def test_copy_reference_skips_venv_and_caches(tmp_path: Path) -> None:
    copy = copy_reference(tmp_path / "ref")
    assert copy == tmp_path / "ref"
    assert (copy / "pyproject.toml").is_file()
    assert not (copy / ".venv").exists()
    assert not list(copy.rglob("__pycache__"))
    assert REFERENCE_IMPL.name == "reference_impl"


def test_mutation_str_is_its_name() -> None:
    assert str(DROP_DLQ) == "drop the DLQ"


def test_assert_caught_accepts_target_fail_and_others_pass() -> None:
    caught = run_result(
        result("kafka.dlq", Status.FAIL),
        result("lint.ruff", Status.PASS),
        result("docs.readme", Status.FAIL, gate=False),  # not a gate: ignored
        result("security.dependencies", Status.ERROR),  # cannot be evaluated here
    )
    assert_caught(caught, DROP_DLQ)


@pytest.mark.parametrize(
    ("results", "problem"),
    [
        ((result("kafka.dlq", Status.PASS),), "target kafka.dlq is pass, expected fail"),
        ((result("kafka.dlq", Status.ERROR),), "target kafka.dlq is error"),
        ((result("lint.ruff", Status.PASS),), "target kafka.dlq was not evaluated"),
        (
            (result("kafka.dlq", Status.FAIL), result("lint.ruff", Status.FAIL)),
            "unrelated gate lint.ruff is fail",
        ),
        (
            (result("kafka.dlq", Status.FAIL), result("types.mypy", Status.ERROR)),
            "unrelated gate types.mypy is error",
        ),
        (
            (result("kafka.dlq", Status.FAIL), result("lint.ruff", Status.SKIP)),
            "unrelated gate lint.ruff is skip",
        ),
    ],
)
def test_assert_caught_reports_every_problem(results: tuple[object, ...], problem: str) -> None:
    with pytest.raises(AssertionError, match=problem):
        assert_caught(run_result(*results), DROP_DLQ)  # type: ignore[arg-type]
