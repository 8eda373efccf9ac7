"""The seed's rules apply to this repository's own code too: functions of at most 20 lines."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from evals.checklist import load_checklist
from evals.checks.code import effective_length
from evals.facts.ast_index import lexical_info, module_functions
from evals.facts.source import PythonModule

ROOT = Path(__file__).resolve().parent.parent
OWN_PACKAGES = ("evals", "scripts", "tests")


def _in_corpus_project(relative: str) -> bool:
    """Whether ``relative`` belongs to a corpus project (tests/corpus/<name>/...)."""
    parts = relative.split("/")
    return parts[:2] == ["tests", "corpus"] and len(parts) > len(("tests", "corpus", "x.py"))


def _own_modules() -> list[PythonModule]:
    modules = []
    for package in OWN_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if relative.startswith("tests/fixtures/") or _in_corpus_project(relative):
                continue  # projects the harness scores, some deliberately bad
            source = path.read_text(encoding="utf-8")
            modules.append(PythonModule(relative, source, ast.parse(source)))
    return modules


def test_own_functions_are_at_most_the_checklist_limit() -> None:
    limit = int(load_checklist().get("code.function_length").threshold or 0)
    too_long = []
    for module in _own_modules():
        lexical = lexical_info(module.source)
        for function in module_functions(module):
            length = effective_length(function, lexical)
            if length > limit:
                too_long.append(f"{module.path}:{function.line} {function.qualname} ({length})")
    assert not too_long, f"functions over {limit} lines:\n" + "\n".join(too_long)


@pytest.mark.parametrize("package", OWN_PACKAGES)
def test_own_packages_are_found(package: str) -> None:
    assert any(m.path.startswith(f"{package}/") for m in _own_modules())
