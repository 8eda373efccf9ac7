"""Mutations of reference_impl caught by the toolchain-tier and full-tier (test-run) items.

Each mutation edits a temporary copy of the reference, scores only its target items and
asserts they fail (and that the failure points at the mutated file where a tool reports
locations). Installed environments come from the session's shared cache
(``$EVALS_CACHE_DIR`` or the default cache), so only the first full-tier test pays for
an install.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from evals.model import RunResult, Status, Tier
from tests.mutations.helpers import (
    Mutation,
    MutationError,
    append_to_file,
    assert_caught,
    replace_in_file,
    score_mutation,
)

MAIN = "src/app/main.py"
SHELL_MODULE = "src/app/services/shell_runner.py"
UNTESTED_MODULE = "src/app/services/untested_reports.py"


def _write(root: Path, relative: str, text: str) -> None:
    """Create ``root/relative`` with ``text`` (the parent directory must exist)."""
    path = root / relative
    if not path.parent.is_dir():
        raise MutationError(f"cannot create {relative}: no parent directory")
    path.write_text(text, encoding="utf-8")


def add_lint_error(root: Path) -> None:
    """An unused local variable (F841) in a function of main.py."""
    append_to_file(
        root / MAIN,
        '\n\ndef _lint_mutation() -> None:\n    """Do nothing useful."""\n    unused = 1\n',
    )


def add_lint_error_and_silence_it(root: Path) -> None:
    """The same lint error, with the rule switched off in the project's own config."""
    add_lint_error(root)
    append_to_file(
        root / "pyproject.toml", '\n[tool.ruff.lint.per-file-ignores]\n"src/**" = ["F"]\n'
    )


def misformat(root: Path) -> None:
    """A statement Black would reformat."""
    append_to_file(root / MAIN, "\n\nMUTATION_VALUE = {  'a':1,'b' :2 }\n")


def misformat_and_exclude(root: Path) -> None:
    """A misformatted file that the project's Black config excludes."""
    misformat(root)
    replace_in_file(
        root / "pyproject.toml", "[tool.black]\n", '[tool.black]\nextend-exclude = "main\\\\.py"\n'
    )


TYPE_ERROR = '\n\ndef _typed_mutation() -> int:\n    """Return a number."""\n    return "text"\n'


def add_type_error(root: Path) -> None:
    """A function returning a str where it promises an int."""
    append_to_file(root / MAIN, TYPE_ERROR)


def add_type_error_and_disable_mypy(root: Path) -> None:
    """A type error, with mypy switched off in the project's pyproject."""
    add_type_error(root)
    replace_in_file(
        root / "pyproject.toml", "strict = true", "strict = false\nignore_errors = true"
    )


def add_shell_call(root: Path) -> None:
    """``subprocess.call(x, shell=True)`` in a new service module (Bandit B602)."""
    _write(
        root,
        SHELL_MODULE,
        '"""Runs shell commands."""\n\nimport subprocess\n\n\n'
        "def run_command(command: str) -> int:\n"
        '    """Run ``command`` through the shell.\n\n'
        "    Args:\n        command: The command line.\n\n"
        '    Returns:\n        The exit status.\n    """\n'
        "    return subprocess.call(command, shell=True)\n",
    )


def remove_docstring(root: Path) -> None:
    """Delete the docstring of the first documented function in main.py."""
    path = root / MAIN
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    for node in ast.walk(ast.parse("".join(lines))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and ast.get_docstring(node):
            first = node.body[0]
            del lines[first.lineno - 1 : first.end_lineno]
            path.write_text("".join(lines), encoding="utf-8")
            return
    raise MutationError(f"no documented function in {MAIN}")


def break_downgrade(root: Path) -> None:
    """Make every revision's downgrade drop a table that does not exist."""
    revisions = sorted((root / "alembic" / "versions").glob("*.py"))
    if not revisions:
        raise MutationError("no alembic revisions")
    replace_in_file(
        revisions[0],
        "def downgrade() -> None:\n",
        'def downgrade() -> None:\n    op.execute("DROP TABLE evals_no_such_table")\n',
    )


def add_failing_test(root: Path) -> None:
    """A unit test that fails."""
    _write(
        root,
        "tests/unit/test_evals_mutation.py",
        "def test_mutation_fails() -> None:\n    assert 1 + 1 == 3\n",
    )


def add_untested_module(root: Path) -> None:
    """A large module no test imports, so coverage of src/app drops below 85 %."""
    functions = [
        f"def report_{i}(value: int) -> int:\n"
        f'    """Compute report {i}."""\n'
        f"    total = value * {i}\n"
        f"    if total > {i * 10}:\n"
        f"        total -= {i}\n"
        f"    return total\n"
        for i in range(150)
    ]
    _write(root, UNTESTED_MODULE, '"""Reports nobody tests."""\n\n\n' + "\n\n".join(functions))


TOOLCHAIN_MUTATIONS = [
    Mutation("lint error", ("lint.ruff",), add_lint_error),
    Mutation("lint error silenced in pyproject", ("lint.ruff",), add_lint_error_and_silence_it),
    Mutation("mis-formatted file", ("format.black",), misformat),
    Mutation("mis-formatted file excluded in pyproject", ("format.black",), misformat_and_exclude),
    Mutation("type error", ("types.mypy",), add_type_error),
    Mutation("mypy disabled in pyproject", ("types.mypy",), add_type_error_and_disable_mypy),
    Mutation("shell=True subprocess call", ("security.bandit",), add_shell_call),
    Mutation("docstring removed", ("docs.docstrings",), remove_docstring),
]
EXPECTED_LOCATION = {
    "lint error": MAIN,
    "lint error silenced in pyproject": MAIN,
    "mis-formatted file": MAIN,
    "mis-formatted file excluded in pyproject": MAIN,
    "type error": MAIN,
    "mypy disabled in pyproject": MAIN,
    "shell=True subprocess call": SHELL_MODULE,
    "docstring removed": MAIN,
}


def _finding_paths(result: RunResult, item_id: str) -> set[str | None]:
    """The paths of the findings of ``item_id`` in ``result``."""
    return {finding.path for finding in result.by_id(item_id).outcome.findings}


@pytest.mark.slow
@pytest.mark.parametrize("mutation", TOOLCHAIN_MUTATIONS, ids=str)
async def test_toolchain_mutation_is_caught(mutation: Mutation, tmp_path: Path) -> None:
    result = await score_mutation(mutation, tmp_path / "project", tier=Tier.TOOLCHAIN)
    assert_caught(result, mutation)
    assert EXPECTED_LOCATION[mutation.name] in _finding_paths(result, mutation.targets[0])


@pytest.mark.slow
async def test_security_dependencies_is_never_pass_offline(tmp_path: Path) -> None:
    """No mutation can make pip-audit pass here: its service is unreachable, so it errors."""
    mutation = Mutation("unchanged", ("security.dependencies",), lambda _root: None)
    result = await score_mutation(mutation, tmp_path / "project", tier=Tier.TOOLCHAIN)
    outcome = result.by_id("security.dependencies").outcome
    assert outcome.status is Status.ERROR
    assert "not verified" in outcome.reason


FULL_MUTATIONS = [
    Mutation("broken downgrade", ("db.migrations",), break_downgrade),
    Mutation("failing test", ("tests.pass",), add_failing_test),
    Mutation("large untested module", ("tests.coverage",), add_untested_module),
]


@pytest.mark.slow
@pytest.mark.full
@pytest.mark.parametrize("mutation", FULL_MUTATIONS, ids=str)
async def test_full_mutation_is_caught(mutation: Mutation, tmp_path: Path) -> None:
    result = await score_mutation(mutation, tmp_path / "project", tier=Tier.FULL)
    assert_caught(result, mutation)
    findings = result.by_id(mutation.targets[0]).outcome.findings
    if mutation.name == "broken downgrade":
        assert any(f.path and f.path.startswith("alembic/versions/") for f in findings)
    if mutation.name == "failing test":
        assert any(f.path == "tests/unit/test_evals_mutation.py" for f in findings)
    if mutation.name == "large untested module":
        assert any(f.path == UNTESTED_MODULE for f in findings)
