"""Facts about the project's source files: which exist, and their parsed syntax trees."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from evals.context import Facts
from evals.registry import FactKey, provides

SKIPPED_DIRS = frozenset(
    {
        ".git",
        ".venv",
        "venv",
        "node_modules",
        "__pycache__",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        "build",
        "dist",
        ".tox",
    }
)


@dataclass(frozen=True)
class PythonModule:
    """One parsed Python file.

    Attributes:
        path: Path relative to the project root, with forward slashes.
        source: The file's text.
        tree: Its syntax tree, or None when it does not parse.
        syntax_error: The parse error message when ``tree`` is None.
    """

    path: str
    source: str
    tree: ast.Module | None
    syntax_error: str | None = None


PROJECT_FILES: FactKey[tuple[str, ...]] = FactKey("project_files")
PYTHON_MODULES: FactKey[tuple[PythonModule, ...]] = FactKey("python_modules")


def _walk(root: Path) -> list[str]:
    found: list[str] = []
    for path in root.rglob("*"):
        relative = path.relative_to(root)
        if any(part in SKIPPED_DIRS for part in relative.parts) or not path.is_file():
            continue
        found.append(relative.as_posix())
    return sorted(found)


def _parse(root: Path, relative: str) -> PythonModule:
    source = (root / relative).read_text(encoding="utf-8", errors="replace")
    try:
        return PythonModule(relative, source, ast.parse(source, filename=relative))
    except (SyntaxError, ValueError) as exc:
        return PythonModule(relative, source, None, f"{type(exc).__name__}: {exc}")


@provides(PROJECT_FILES)
async def project_files(facts: Facts) -> tuple[str, ...]:
    """Every file of the project (relative POSIX paths), skipping VCS, venvs and caches."""
    return tuple(_walk(facts.project))


@provides(PYTHON_MODULES)
async def python_modules(facts: Facts) -> tuple[PythonModule, ...]:
    """Every ``.py`` file of the project, parsed once for all checks."""
    files = await facts.get(PROJECT_FILES)
    return tuple(_parse(facts.project, f) for f in files if f.endswith(".py"))
